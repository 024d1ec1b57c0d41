"""Autograding a batch of submissions: in parallel, sandboxed, fault tolerant,
resumable (``pretraining-lab autograde --workers N``).

Design
------
* **Workers.** ``N`` worker processes (``spawn``; each imports nbgrader, torch and
  the trusted grader once and then grades submission after submission) take one
  submission at a time from the parent. A worker that dies or overruns its hard
  limit is killed and replaced; the submission is graded again as a substitute
  (below), so one submission can never stop the batch.
* **Private course per submission.** nbgrader's SQLite gradebook is not safe for
  concurrent writers, so a worker never touches the real course's writable files.
  It grades in ``<course>/.lab_work/<lesson>--<student>/``: the course's
  ``nbgrader_config.py`` and secret, a copy of ``source/<lesson>``, a copy of the
  gradebook taken at the start of the batch, and a sanitised copy of the submission
  (only ``<lesson>.ipynb`` and ``timestamp.txt``). nbgrader's own ``Autograde``
  (the course's pipeline, with the kernel in the sandbox of :mod:`grader.sandbox`)
  runs there.
* **Merge.** The parent, alone, merges each finished submission into the real
  course, one at a time: (1) delete the old verdict log; (2) in one transaction
  through nbgrader's ``Gradebook`` API, create/update the student and submission
  and copy what ``SaveAutoGrades``/``AssignLatePenalties`` wrote (each grade's
  ``auto_score`` and ``needs_manual_grade``, each comment's ``auto_comment``, each
  notebook's late penalty; manual grades are kept); (3) swap the autograded folder
  into ``autograded/<student>/<lesson>``; (4) write the verdict log
  ``lab_verdicts/<lesson>/<student>.json`` last, with a digest of the submission.
  Grades are per (submission, cell) rows that are overwritten, never added, so a
  submission merged twice is counted once.
* **Resume.** The verdict log is the commit marker: a rerun skips a submission
  whose log exists with the same digest and whose autograded folder is there, and
  grades the rest (``force=True`` regrades everything). A grader killed at any point
  loses at most the submissions in flight. A lock file stops two graders running
  on one course at once.
* **Faults.** A notebook that is not valid JSON or nbformat, too large, missing or
  renamed, or that nbgrader cannot grade at all, is graded as a *substitute*: the
  released notebook with a first cell saying why (so every cell scores 0, the
  gradebook has the submission, and the student's feedback gives the reason).
  Faults inside the kernel are handled by ``SafeExecute``. Every reason goes into
  the verdict log (``faults``) and the instructor report.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import multiprocessing as mp
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from .course import CONFIG_FILE, COURSE_ID, SECRET_FILE, VERDICTS_DIR, Course

WORK_DIR = ".lab_work"
LOCK_FILE = ".lab_autograde.lock"
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
#: Seconds a worker may spend on one submission beyond SafeExecute.notebook_timeout.
HARD_MARGIN_S = 300


class BatchError(RuntimeError):
    """The batch cannot run (sandbox unavailable, another grader running, ...)."""


@dataclass
class Outcome:
    """What happened to one submission (also what the CLI's progress prints)."""

    student: str
    lesson: str
    ok: bool
    seconds: float
    score: float | None = None
    max_score: float | None = None
    error: str | None = None
    faults: list[str] = field(default_factory=list)
    skipped: bool = False


# --- submissions and digests --------------------------------------------------------------

def submission_digest(folder: Path) -> str:
    """A digest of what a submission folder holds (names, sizes, contents of files up
    to 64 MiB), so a changed resubmission is graded again."""
    h = hashlib.sha256()
    if not folder.is_dir():
        return "missing"
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        st = path.stat()
        h.update(f"{path.relative_to(folder)}\0{st.st_size}\0".encode())
        if st.st_size <= 64 * 1024 * 1024:
            h.update(hashlib.sha256(path.read_bytes()).digest())
        else:
            h.update(str(st.st_mtime_ns).encode())
    return h.hexdigest()


def batch_submissions(course: Course, students: Sequence[str] = (), lessons: Sequence[str] = ()
                      ) -> list[tuple[str, str]]:
    """(student, lesson) for every folder ``submitted/<student>/<lesson>/`` of a known
    lesson, whether or not it holds the notebook (a missing or renamed notebook is
    graded as such, not silently skipped)."""
    known = set(course.released() or course.lessons())
    found = []
    if course.submitted.is_dir():
        for sdir in sorted(course.submitted.iterdir()):
            if not sdir.is_dir() or sdir.name.startswith(".") or (students and sdir.name not in students):
                continue
            for ldir in sorted(sdir.iterdir()):
                if ldir.is_dir() and ldir.name in known and (not lessons or ldir.name in lessons):
                    found.append((sdir.name, ldir.name))
    return found


def verdict_path(course: Course, student: str, lesson: str) -> Path:
    return course.root / VERDICTS_DIR / lesson / f"{student}.json"


def is_done(course: Course, student: str, lesson: str, digest: str | None = None) -> bool:
    """Whether this submission's grading was merged completely (see *Resume*)."""
    try:
        log = json.loads(verdict_path(course, student, lesson).read_text())
    except (OSError, ValueError):
        return False
    if log.get("status") != "graded":
        return False
    if digest is None:
        digest = submission_digest(course.submitted / student / lesson)
    return log.get("digest") == digest and (course.autograded / student / lesson).is_dir()


# --- the worker's side ----------------------------------------------------------------------

def _read_notebook(path: Path) -> tuple[Any, str | None]:
    """(notebook, None) or (None, the reason it cannot be graded)."""
    import nbformat

    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return None, f"the notebook is {size // 2**20} MiB, over the {MAX_NOTEBOOK_BYTES // 2**20} MiB limit"
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None, "the notebook file is not UTF-8 text"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"the notebook file is not valid JSON ({exc.msg} at line {exc.lineno})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None, "the file is valid JSON but not a notebook (it has no list of cells)"
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        return None, f"the file is not a notebook nbformat can read ({type(exc).__name__}: {str(exc)[:150]})"
    try:
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001
        return None, f"the notebook does not follow the notebook format ({str(exc).splitlines()[0][:150]})"
    return nb, None


def _substitute(course: Course, lesson: str, reason: str) -> Any:
    """The released notebook with a first cell saying why it replaces the submission."""
    import nbformat
    from nbformat.v4 import new_markdown_cell

    nb = nbformat.read(str(course.release_dir / lesson / f"{lesson}.ipynb"), as_version=4)
    note = new_markdown_cell(f"**Your submission could not be graded as submitted: {reason}.** "
                             "The released notebook was graded in its place, so every exercise "
                             "scores 0. Please ask your instructor.")
    nb.cells.insert(0, note)
    return nb


def _prepare(course: Course, wd: Path, student: str, lesson: str, template_db: Path,
             fallback: str | None) -> tuple[list[str], bool]:
    """Build the private course ``wd``; the notes on the submission and whether the
    notebook was replaced by a substitute."""
    import nbformat

    if wd.exists():
        shutil.rmtree(wd)
    wd.mkdir(parents=True)
    shutil.copyfile(course.config_path, wd / CONFIG_FILE)
    fd = os.open(wd / SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(course.secret_path.read_text())
    shutil.copytree(course.source / lesson, wd / "source" / lesson)
    shutil.copyfile(template_db, wd / "gradebook.db")
    src = course.submitted / student / lesson
    dest = wd / "submitted" / student / lesson
    dest.mkdir(parents=True)
    notes: list[str] = []
    if (src / "timestamp.txt").is_file() and (src / "timestamp.txt").stat().st_size < 1024:
        shutil.copyfile(src / "timestamp.txt", dest / "timestamp.txt")
    wanted = src / f"{lesson}.ipynb"
    others = sorted(p.relative_to(src).as_posix() for p in src.rglob("*")
                    if p.is_file() and p.name != "timestamp.txt" and p != wanted) if src.is_dir() else []
    nb, reason = None, fallback
    if reason is None:
        if wanted.is_file() and not wanted.is_symlink():
            nb, reason = _read_notebook(wanted)
        else:
            books = [o for o in others if o.endswith(".ipynb") and "/" not in o]
            if len(books) == 1:
                nb, reason = _read_notebook(src / books[0])
                if nb is not None:
                    notes.append(f"graded {books[0]} (submitted under another name than "
                                 f"{lesson}.ipynb)")
                    others.remove(books[0])
            else:
                reason = (f"no {lesson}.ipynb in the submission"
                          + (f" (it holds {', '.join(others[:5])})" if others else ""))
    if others:
        notes.append(f"ignored {len(others)} other file(s) in the submission: "
                     + ", ".join(others[:5]) + (" ..." if len(others) > 5 else ""))
    substituted = nb is None
    if substituted:
        notes.insert(0, f"graded as an empty notebook: {reason}")
        nb = _substitute(course, lesson, reason or "unknown reason")
    nbformat.write(nb, str(dest / f"{lesson}.ipynb"))
    return notes, substituted


def _api(wd: Path, overrides: dict[str, dict[str, Any]]) -> Any:
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    from .course import _tools_on_path

    _tools_on_path()
    course = Course(wd)
    cfg = course.config(log_level="ERROR")
    extra = Config()
    for section, values in overrides.items():
        for key, value in values.items():
            setattr(getattr(extra, section), key, value)
    cfg.merge(extra)
    coursedir = CourseDirectory(config=cfg)
    return NbGraderAPI(coursedir=coursedir, config=cfg)


def _read_private(wd: Path, student: str, lesson: str) -> dict[str, Any]:
    """What the private gradebook holds for this submission, as plain data."""
    from nbgrader.api import Gradebook

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
    notes: list[str] = []
    try:
        for attempt in (0, 1):
            notes, substituted = _prepare(course, wd, student, lesson, template, fallback)
            result = _api(wd, overrides).autograde(lesson, student, force=True, create=True)
            if result.get("success"):
                break
            from .submissions import failure_reason

            reason = failure_reason(result)
            if "SandboxUnavailable" in (result.get("log") or "") + (result.get("error") or "") \
                    or substituted or attempt:
                out["error"] = reason
                return out
            fallback = f"nbgrader could not grade it ({reason})"
        log_path = wd / VERDICTS_DIR / lesson / f"{student}.json"
        log = json.loads(log_path.read_text()) if log_path.is_file() else {
            "student": student, "lesson": lesson, "notebook": lesson, "status": "graded",
            "cells": {}, "graded_at": datetime.now(UTC).isoformat(timespec="seconds")}
        log["faults"] = notes + list(log.get("faults", []))
        log["digest"] = out["digest"]
        log["substituted"] = substituted
        out.update(ok=True, log=log, grades=_read_private(wd, student, lesson))
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc()
    finally:
        out["seconds"] = time.perf_counter() - start
    return out


def _worker_main(conn: Any, course_root: str, work_root: str,
                 overrides: dict[str, dict[str, Any]]) -> None:
    """A pool worker: import the heavy modules once, then grade what it is sent."""
    import warnings

    _die_with_parent()
    # nbgrader's own log lines (also in each outcome's reason) stay off the terminal.
    log = os.open(os.path.join(work_root, f"worker-{os.getpid()}.log"),
                  os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)

    warnings.filterwarnings("ignore")
    import nbgrader.apps  # noqa: F401
    import torch

    # The trusted re-computation (HiddenVerdicts) works on tensors of a few hundred
    # numbers: one thread, so that N workers with their kernels do not fight over the
    # cores (torch's default of one thread per core made each worker spin on all).
    torch.set_num_threads(1)

    import grader.engine  # noqa: F401
    import grader.nbgrader_ext  # noqa: F401

    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        student, lesson, fallback = task
        conn.send(("done", grade_private(course_root, work_root, student, lesson, overrides,
                                         fallback)))


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the grader dies (a killed grader leaves no worker
    writing into the work folder of the next run); its kernels die with it."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:
        os._exit(1)


# --- the parent's side ---------------------------------------------------------------------

def merge(course: Course, result: dict[str, Any]) -> None:
    """Merge one graded submission into the real course (see *Merge*)."""
    from nbgrader.api import Gradebook

    student, lesson = result["student"], result["lesson"]
    marker = verdict_path(course, student, lesson)
    marker.unlink(missing_ok=True)
    grades = result["grades"]
    with Gradebook(course.db_url, COURSE_ID) as gb:
        gb.update_or_create_student(student)
        ts = grades.get("timestamp")
        if ts:
            gb.update_or_create_submission(lesson, student, timestamp=datetime.fromisoformat(ts))
        else:
            gb.update_or_create_submission(lesson, student)
        for nb_name, nbdata in grades["notebooks"].items():
            for name, auto in nbdata["grades"].items():
                grade = gb.find_grade(name, nb_name, lesson, student)
                grade.auto_score = auto
                grade.needs_manual_grade = grade.manual_score is not None or auto is None
            for name, text in nbdata["comments"].items():
                gb.find_comment(name, nb_name, lesson, student).auto_comment = text
            gb.find_submission_notebook(nb_name, lesson, student).late_submission_penalty = \
                nbdata["late_submission_penalty"]
        gb.db.commit()
    new = Path(result["wd"]) / "autograded" / student / lesson
    dest = course.autograded / student / lesson
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        trash = Path(tempfile.mkdtemp(prefix=".old-", dir=course.root / WORK_DIR))
        os.replace(dest, trash / "x")
        shutil.rmtree(trash, ignore_errors=True)
    os.replace(new, dest)
    marker.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=marker.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump(result["log"], fh, indent=1, sort_keys=True)
    os.replace(tmp, marker)
    shutil.rmtree(result["wd"], ignore_errors=True)


def record_error(course: Course, student: str, lesson: str, reason: str, digest: str) -> None:
    """A submission that could not be graded at all: a verdict log saying why (it is
    graded again on the next run)."""
    marker = verdict_path(course, student, lesson)
    marker.parent.mkdir(parents=True, exist_ok=True)
    record = {"student": student, "lesson": lesson, "status": "error", "reason": reason,
              "digest": digest, "faults": [reason], "cells": {},
              "graded_at": datetime.now(UTC).isoformat(timespec="seconds")}
    fd, tmp = tempfile.mkstemp(dir=marker.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump(record, fh, indent=1, sort_keys=True)
    os.replace(tmp, marker)


class _Worker:
    def __init__(self, ctx: Any, args: tuple[Any, ...]) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, *args), daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.task: tuple[str, str, str | None] | None = None
        self.started = 0.0

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(None)
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


@contextlib.contextmanager
def course_lock(course: Course):
    path = course.root / LOCK_FILE
    fh = open(path, "a+")  # noqa: SIM115
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise BatchError(f"another autograde is running on {course.root} (lock {path})") from None
    try:
        yield
    finally:
        fh.close()


def check_sandbox(course: Course, unsafe_no_sandbox: bool = False,
                  warn: Callable[[str], None] | None = None) -> None:
    """Refuse (BatchError) when the sandbox cannot start, unless opted out."""
    from traitlets.config.loader import PyFileConfigLoader

    from .sandbox import Sandbox, SandboxUnavailable

    if unsafe_no_sandbox:
        if warn:
            warn("WARNING: --unsafe-no-sandbox: students' code runs WITHOUT the sandbox, with "
                 "the grader's permissions, network and files (the course secret, the gradebook, "
                 "other students' submissions). Only grade code you trust this way.")
        return
    cfg = PyFileConfigLoader(CONFIG_FILE, path=str(course.root)).load_config()
    try:
        Sandbox(config=cfg).probe()
    except SandboxUnavailable as exc:
        raise BatchError(f"refusing to autograde: the sandbox cannot start: {exc}") from None


def run_batch(course: Course, students: Sequence[str] = (), lessons: Sequence[str] = (), *,
              workers: int | None = None, force: bool = False, unsafe_no_sandbox: bool = False,
              progress: Callable[[Outcome], None] | None = None, show_bar: bool = False,
              warn: Callable[[str], None] | None = None,
              hard_limit_s: float | None = None) -> list[Outcome]:
    """Autograde the course's submissions (see the module docstring); the outcomes,
    skipped ones included (``Outcome.skipped``)."""
    course.require()
    workers = max(1, workers or os.cpu_count() or 1)
    with course_lock(course):
        pairs = batch_submissions(course, students, lessons)
        digests = {p: submission_digest(course.submitted / p[0] / p[1]) for p in pairs}
        done = [] if force else [p for p in pairs if is_done(course, *p, digests[p])]
        todo = [p for p in pairs if p not in set(done)]
        outcomes = [Outcome(s, lesson, True, 0.0, skipped=True) for s, lesson in done]
        if not todo:
            return outcomes
        check_sandbox(course, unsafe_no_sandbox, warn)
        work = course.root / WORK_DIR
        if work.exists():
            shutil.rmtree(work)
        work.mkdir()
        if course.db_path.exists():
            shutil.copyfile(course.db_path, work / "template.db")
        else:
            raise BatchError(f"{course.db_path} does not exist: release the lessons first")
        overrides: dict[str, dict[str, Any]] = {}
        if unsafe_no_sandbox:
            overrides.setdefault("Sandbox", {})["unsafe_no_sandbox"] = True
        from traitlets.config.loader import PyFileConfigLoader

        cfg = PyFileConfigLoader(CONFIG_FILE, path=str(course.root)).load_config()
        if not cfg.get("Sandbox", {}).get("threads"):
            overrides.setdefault("Sandbox", {})["threads"] = max(1, (os.cpu_count() or 1) // workers)
        nb_timeout = cfg.get("SafeExecute", {}).get("notebook_timeout", 1200)
        hard = hard_limit_s or (nb_timeout + HARD_MARGIN_S)
        outcomes += _run_pool(course, todo, digests, min(workers, len(todo)), overrides, hard,
                              progress, show_bar)
        # Kept when the batch stops on an error (the workers' logs are there); the next
        # run clears it.
        shutil.rmtree(work, ignore_errors=True)
    return outcomes


def _run_pool(course: Course, todo: list[tuple[str, str]], digests: dict, workers: int,
              overrides: dict, hard: float, progress: Callable[[Outcome], None] | None,
              show_bar: bool) -> list[Outcome]:
    from tqdm import tqdm

    ctx = mp.get_context("spawn")
    args = (str(course.root), str(course.root / WORK_DIR), overrides)
    queue: list[tuple[str, str, str | None]] = [(s, lesson, None) for s, lesson in todo]
    retried: set[tuple[str, str]] = set()
    pool = [_Worker(ctx, args) for _ in range(workers)]
    outcomes: list[Outcome] = []
    failing = deaths = 0
    bar = tqdm(total=len(todo), unit="sub", disable=not show_bar, dynamic_ncols=True,
               desc="autograde")

    def finish(o: Outcome) -> None:
        nonlocal failing
        outcomes.append(o)
        failing += not o.ok or bool(o.faults)
        bar.update(1)
        bar.set_postfix(failing=failing, left=len(todo) - len(outcomes))
        if progress is not None:
            progress(o)

    def dispatch(w: _Worker) -> None:
        if queue and w.ready and w.task is None:
            w.task = queue.pop(0)
            w.started = time.monotonic()
            w.conn.send(w.task)

    try:
        while len(outcomes) < len(todo):
            for w in pool:
                dispatch(w)
            ready = wait([w.conn for w in pool] + [w.process.sentinel for w in pool], timeout=5)
            for i, w in enumerate(list(pool)):
                lost: str | None = None
                if w.conn in ready or w.process.sentinel in ready:
                    try:
                        kind, payload = w.conn.recv() if w.conn.poll() else (None, None)
                    except (EOFError, OSError):
                        kind, payload = None, None
                    if kind == "ready":
                        w.ready = True
                    elif kind == "done":
                        w.task = None
                        finish(_merge_result(course, payload, digests))
                    elif not w.process.is_alive():
                        lost = f"the grading process died (exit code {w.process.exitcode})"
                if lost is None and w.task is not None and time.monotonic() - w.started > hard:
                    lost = f"grading took longer than {hard:.0f} s and was stopped"
                if lost is not None:
                    deaths += 1
                    if deaths > 2 * workers + len(todo):
                        raise BatchError(f"grading processes keep dying ({lost}); see "
                                         f"{course.root / WORK_DIR}/worker-*.log")
                    task = w.task
                    w.stop(kill=True)
                    pool[i] = _Worker(ctx, args)
                    if task is not None:
                        key = (task[0], task[1])
                        if key in retried:
                            record_error(course, key[0], key[1], lost, digests[key])
                            finish(Outcome(key[0], key[1], False, hard, error=lost))
                        else:
                            retried.add(key)
                            queue.insert(0, (key[0], key[1], lost))
    finally:
        bar.close()
        for w in pool:
            w.stop(kill=w.task is not None)
    return outcomes


def _merge_result(course: Course, result: dict[str, Any], digests: dict) -> Outcome:
    student, lesson = result["student"], result["lesson"]
    if not result.get("ok"):
        reason = result.get("error") or "autograde failed"
        record_error(course, student, lesson, reason, digests.get((student, lesson), ""))
        return Outcome(student, lesson, False, result.get("seconds", 0.0), error=reason)
    try:
        merge(course, result)
    except Exception as exc:  # noqa: BLE001 - one bad merge must not stop the batch
        reason = f"merging into the gradebook failed: {type(exc).__name__}: {exc}"
        record_error(course, student, lesson, reason, digests.get((student, lesson), ""))
        return Outcome(student, lesson, False, result.get("seconds", 0.0), error=reason)
    g = result["grades"]
    return Outcome(student, lesson, True, result["seconds"], g["score"], g["max_score"],
                   faults=list(result["log"].get("faults", [])))
