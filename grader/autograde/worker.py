"""The worker's side of a batch: grading one submission in a private copy of the
course (see *Private course per submission* and *Faults* in :mod:`grader.autograde.batch`).
:func:`worker_main` is the body of each worker process; :func:`grade_private` never
raises and returns plain data for the parent to merge.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import time
import traceback
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_markdown_cell
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from ..course.directory import Course, _tools_on_path
from ..course.paths import CONFIG_FILE, COURSE_ID, LAB_CONFIG_FILE, SECRET_FILE
from ..course.submissions import read_notebook_bytes
from . import verdict_log, warm
from .ledger import submission_digest
from .results import failure_reason

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


def _read_notebook(path: Path) -> tuple[Any, str | None]:
    """(notebook, None) or (None, the reason it cannot be graded)."""
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return None, f"the notebook is {size // 2**20} MiB, over the {MAX_NOTEBOOK_BYTES // 2**20} MiB limit"
    return read_notebook_bytes(path.read_bytes())


def _substitute(course: Course, lesson: str, reason: str) -> Any:
    """The released notebook with a first cell saying why it replaces the submission."""
    nb = nbformat.read(str(course.release_dir / lesson / f"{lesson}.ipynb"), as_version=4)
    note = new_markdown_cell(f"**Your submission could not be graded as submitted: {reason}.** "
                             "The released notebook was graded in its place, so every exercise "
                             "scores 0. Please ask your instructor.")
    nb.cells.insert(0, note)
    return nb


#: nbgrader's bookkeeping files of a submission (``nbgrader submit`` writes both, and
#: ``collect`` brings them): carried into ``autograded/`` so that ``generate_feedback``
#: and ``release_feedback`` find them as they would after nbgrader's own autograde.
BOOKKEEPING = ("timestamp.txt", "submission_secret.txt")
#: Names that running a lesson leaves beside it: never worth a note.
LEFT_BY_RUNNING = ("__pycache__", ".ipynb_checkpoints", ".lab_evidence", ".lab_seed.json")


@dataclass
class Preparation:
    """What the private copy of a submission says about it.

    ``faults`` are what went wrong with the submission itself (no readable notebook, so an
    empty one was graded); ``notes`` are harmless remarks (a renamed notebook, files that
    were ignored). Files the lesson shipped (``labkit/``, ``blocks/``, ``fixtures.pt``, come
    back through nbgrader's exchange with every submission) are expected, so neither."""

    notes: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    substituted: bool = False


def _prepare(course: Course, wd: Path, student: str, lesson: str, template_db: Path,
             fallback: str | None) -> Preparation:
    """Build the private course ``wd`` holding this one submission."""
    if wd.exists():
        shutil.rmtree(wd)
    wd.mkdir(parents=True)
    for name in (CONFIG_FILE, LAB_CONFIG_FILE):
        shutil.copyfile(course.root / name, wd / name)
    fd = os.open(wd / SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(course.secret_path.read_text())
    shutil.copytree(course.source / lesson, wd / "source" / lesson)
    shutil.copyfile(template_db, wd / "gradebook.db")
    src = course.submitted / student / lesson
    dest = wd / "submitted" / student / lesson
    dest.mkdir(parents=True)
    for name in BOOKKEEPING:
        if (src / name).is_file() and not (src / name).is_symlink() \
                and (src / name).stat().st_size < 1024:
            shutil.copyfile(src / name, dest / name)
    prep = Preparation()
    nb = _submitted_notebook(course, src, lesson, fallback, prep)
    if nb is None:
        reason = prep.faults.pop()
        prep.faults.append(f"graded as an empty notebook: {reason}")
        prep.substituted = True
        nb = _substitute(course, lesson, reason)
    nbformat.write(nb, str(dest / f"{lesson}.ipynb"))
    return prep


def _submitted_notebook(course: Course, src: Path, lesson: str, fallback: str | None,
                        prep: Preparation) -> Any:
    """The notebook to grade, or None with the reason as ``prep.faults[0]``; the notes on
    renamed notebooks and ignored files go to ``prep.notes``."""
    wanted = src / f"{lesson}.ipynb"
    others = _other_files(course, src, lesson)
    nb, reason = None, fallback
    if reason is None:
        if wanted.is_file() and not wanted.is_symlink():
            nb, reason = _read_notebook(wanted)
        else:
            books = [o for o in others if o.endswith(".ipynb") and "/" not in o]
            if len(books) == 1:
                nb, reason = _read_notebook(src / books[0])
                if nb is not None:
                    prep.notes.append(f"graded {books[0]} (submitted under another name than "
                                      f"{lesson}.ipynb)")
                    others.remove(books[0])
            else:
                reason = (f"no {lesson}.ipynb in the submission"
                          + (f" (it holds {', '.join(others[:5])})" if others else ""))
    if others:
        prep.notes.append(f"ignored {len(others)} other file(s) in the submission: "
                          + ", ".join(others[:5]) + (" ..." if len(others) > 5 else ""))
    if nb is None:
        prep.faults.append(reason or "unknown reason")
    return nb


def _other_files(course: Course, src: Path, lesson: str) -> list[str]:
    """Files of the submission besides its notebook, bookkeeping, what the lesson shipped
    (as released) and what running it leaves behind; relative paths, sorted."""
    if not src.is_dir():
        return []
    shipped_root = course.release_dir / lesson
    found = []
    for path in src.rglob("*"):
        rel = path.relative_to(src)
        if not path.is_file() or rel.as_posix() in (f"{lesson}.ipynb", *BOOKKEEPING):
            continue
        if any(part in LEFT_BY_RUNNING for part in rel.parts):
            continue
        shipped = shipped_root / rel
        if shipped.is_file() and not path.is_symlink() \
                and shipped.stat().st_size == path.stat().st_size:
            continue
        found.append(rel.as_posix())
    return sorted(found)


def _api(wd: Path, overrides: dict[str, dict[str, Any]]) -> Any:
    # nbgrader.apps (all of nbgrader, torch through the course's preprocessors) is
    # imported by worker_main after it redirected the output; a module-level import
    # would run when the spawned worker unpickles its target, printing import-time
    # warnings on the grader's terminal.
    from nbgrader.apps import NbGraderAPI

    _tools_on_path()
    course = Course(wd)
    cfg = course.config(log_level="ERROR")
    extra = Config()
    for section, values in overrides.items():
        for key, value in values.items():
            setattr(getattr(extra, section), key, value)
    # This private copy holds the instructor's files and the submission's notebook only:
    # the one place the course's pipeline agrees to autograde (RequirePrivateCopy).
    extra.RequirePrivateCopy.private_copy = True
    cfg.merge(extra)
    coursedir = CourseDirectory(config=cfg)
    return NbGraderAPI(coursedir=coursedir, config=cfg)


def _read_private(wd: Path, student: str, lesson: str) -> dict[str, Any]:
    """What the private gradebook holds for this submission, as plain data."""
    with Gradebook(f"sqlite:///{wd / 'gradebook.db'}", COURSE_ID) as gb:
        sub = gb.find_submission(lesson, student)
        data: dict[str, Any] = {"timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
                                "score": float(sub.score), "max_score": float(sub.max_score),
                                "notebooks": {}}
        for nb in sub.notebooks:
            data["notebooks"][nb.name] = {
                "late_submission_penalty": nb.late_submission_penalty,
                "grades": {g.name: g.auto_score for g in nb.grades},
                "comments": {c.name: c.auto_comment for c in nb.comments},
            }
    return data


def grade_private(course_root: str, work_root: str, student: str, lesson: str,
                  overrides: dict[str, dict[str, Any]], fallback: str | None = None
                  ) -> dict[str, Any]:
    """Grade one submission in its private course; a plain dict for the parent. Never
    raises. If nbgrader cannot grade the submission, it is graded again as a substitute."""
    start = time.perf_counter()
    course = Course(Path(course_root))
    wd = Path(work_root) / f"{lesson}--{student}"
    template = Path(work_root) / "template.db"
    out: dict[str, Any] = {"student": student, "lesson": lesson, "wd": str(wd), "ok": False,
                           "digest": submission_digest(course.submitted / student / lesson)}
    prep = Preparation()
    launched = warm.launches()
    try:
        for attempt in (0, 1):
            prep = _prepare(course, wd, student, lesson, template, fallback)
            result = _api(wd, overrides).autograde(lesson, student, force=True, create=True)
            if result.get("success"):
                break
            reason = failure_reason(result)
            if "SandboxUnavailable" in (result.get("log") or "") + (result.get("error") or "") \
                    or prep.substituted or attempt:
                out["error"] = reason
                return out
            fallback = f"nbgrader could not grade it ({reason})"
        log = verdict_log.read(wd, lesson, student) or {
            "student": student, "lesson": lesson, "notebook": lesson, "status": "graded",
            "cells": {}, "graded_at": datetime.now(UTC).isoformat(timespec="seconds")}
        log["faults"] = prep.faults + list(log.get("faults", []))
        log["notes"] = prep.notes
        log["digest"] = out["digest"]
        log["substituted"] = prep.substituted
        # Which way the kernel started (grader/autograde/warm.py); both grade alike.
        log["kernel"] = "warm" if warm.launches() > launched else "cold"
        out.update(ok=True, log=log, grades=_read_private(wd, student, lesson))
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc()
    finally:
        out["seconds"] = time.perf_counter() - start
    return out


def worker_main(conn: Any, course_root: str, work_root: str,
                 overrides: dict[str, dict[str, Any]]) -> None:
    """A pool worker: import the heavy modules once, then grade what it is sent."""
    _die_with_parent()
    # nbgrader's own log lines (also in each outcome's reason) stay off the terminal.
    log = os.open(os.path.join(work_root, f"worker-{os.getpid()}.log"),
                  os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)

    warnings.filterwarnings("ignore")
    # Here, not at the top: only now is the output redirected to the worker's log.
    import nbgrader.apps  # noqa: F401
    import torch

    # The trusted re-computation (HiddenVerdicts) works on tensors of a few hundred
    # numbers: one thread, so that N workers with their kernels do not fight over the
    # cores (torch's default of one thread per core made each worker spin on all).
    torch.set_num_threads(1)


    # Each kernel is forked in this worker's long-lived sandbox (grader/autograde/warm.py).
    warm.enable()
    conn.send(("ready", os.getpid()))
    try:
        while True:
            try:
                task = conn.recv()
            except EOFError:
                return
            if task is None:
                return
            student, lesson, fallback = task
            conn.send(("done", grade_private(course_root, work_root, student, lesson,
                                             overrides, fallback)))
    finally:
        warm.disable()


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the grader dies (a killed grader leaves no worker
    writing into the work folder of the next run); its kernels die with it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:
        os._exit(1)
