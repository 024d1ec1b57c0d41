"""Submissions: importing them into a course, autograding, feedback and export,
all through nbgrader's own converters (``NbGraderAPI``) and gradebook.

Import accepts a folder or a zip file holding either layout, mixed:

* ``<student>/<lesson>/<lesson>.ipynb`` (nbgrader's ``submitted/`` layout), or
* ``<student>_<lesson>.ipynb`` (what an LMS download looks like; ``<lesson>`` is
  matched against the course's lessons, so student ids may hold underscores).

Only the notebooks are imported (a lesson is one notebook; the lesson's other
files come from ``source/`` at autograde). Everything is checked before anything
is written: a bad archive, an unsafe path, a file that is not a notebook, an unknown
lesson, two files for the same student and lesson, or an existing submission
(unless ``replace=True``, which first moves the old one to
``<course>/backup/submitted-<time>/``) stops the whole import with every reason,
and the course is left as it was.

Autograding is done one (student, lesson) at a time by :func:`grade_one`, a plain
function of picklable arguments, so that a later runner can call it from worker
processes; :func:`autograde` calls it sequentially.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from .course import COURSE_ID, VERDICTS_DIR, Course, NbGraderError, nbgrader_result

STUDENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024


class SubmissionError(ValueError):
    """The input cannot be imported; the message lists every reason."""


@dataclass
class Incoming:
    student: str
    lesson: str
    origin: str  # where it came from, for messages
    data: bytes


def _parse_name(rel: PurePosixPath, lessons: Sequence[str]) -> tuple[str, str] | None:
    """(student, lesson) for a path in one of the two layouts, else None."""
    parts = rel.parts
    if len(parts) >= 3 and parts[-1] == f"{parts[-2]}.ipynb" and parts[-2] in lessons:
        return parts[-3], parts[-2]
    if rel.suffix == ".ipynb":
        stem = rel.stem
        for lesson in sorted(lessons, key=len, reverse=True):
            if stem.endswith("_" + lesson) and len(stem) > len(lesson) + 1:
                return stem[: -len(lesson) - 1], lesson
    return None


def _ignored(rel: PurePosixPath) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in rel.parts) \
        or ".ipynb_checkpoints" in rel.parts


def _entries_from_folder(folder: Path) -> list[tuple[PurePosixPath, Any]]:
    out = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out.append((PurePosixPath(path.relative_to(folder).as_posix()), path.read_bytes))
    return out


def _entries_from_zip(path: Path, problems: list[str]) -> list[tuple[PurePosixPath, Any]]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(f"{path}: not a readable zip file ({exc})") from None
    out = []
    for info in zf.infolist():
        if info.is_dir():
            continue
        rel = PurePosixPath(info.filename.replace("\\", "/"))
        if rel.is_absolute() or ".." in rel.parts:
            problems.append(f"{info.filename}: unsafe path in the zip file")
            continue
        if info.file_size > MAX_NOTEBOOK_BYTES:
            problems.append(f"{info.filename}: larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB")
            continue
        out.append((rel, lambda info=info: zf.read(info)))
    return out


def scan(path: str | Path, lessons: Sequence[str]) -> tuple[list[Incoming], list[str]]:
    """The submissions found in a folder or zip file, and the files skipped.
    Raises SubmissionError listing every problem."""
    path = Path(path)
    problems: list[str] = []
    if path.is_dir():
        entries = _entries_from_folder(path)
    elif path.is_file():
        entries = _entries_from_zip(path, problems)
    else:
        raise SubmissionError(f"{path}: no such file or folder")
    found: list[Incoming] = []
    skipped: list[str] = []
    for rel, read in entries:
        if _ignored(rel):
            continue
        parsed = _parse_name(rel, lessons)
        if parsed is None:
            if rel.suffix == ".ipynb":
                problems.append(f"{rel}: cannot tell the student and lesson; expected "
                                "<student>/<lesson>/<lesson>.ipynb or <student>_<lesson>.ipynb "
                                f"with a lesson among {list(lessons)}")
            else:
                skipped.append(str(rel))
            continue
        student, lesson = parsed
        if not STUDENT_RE.match(student):
            problems.append(f"{rel}: {student!r} is not a valid student id (letters, digits, "
                            "'_', '.', '@', '-'; starting with a letter or digit)")
            continue
        try:
            data = read()
        except Exception as exc:  # noqa: BLE001 - a damaged member is a problem to report
            problems.append(f"{rel}: cannot be read ({exc})")
            continue
        if len(data) > MAX_NOTEBOOK_BYTES:
            problems.append(f"{rel}: larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB")
            continue
        reason = _notebook_problem(data)
        if reason:
            problems.append(f"{rel}: {reason}")
            continue
        found.append(Incoming(student, lesson, str(rel), data))
    seen: dict[tuple[str, str], str] = {}
    for inc in found:
        key = (inc.student, inc.lesson)
        if key in seen:
            problems.append(f"{inc.origin}: a second submission of {inc.lesson} by {inc.student} "
                            f"(also {seen[key]})")
        seen[key] = inc.origin
    if problems:
        raise SubmissionError("nothing was imported:\n  " + "\n  ".join(problems))
    if not found:
        raise SubmissionError(f"{path}: no submissions found (expected "
                              "<student>/<lesson>/<lesson>.ipynb or <student>_<lesson>.ipynb)")
    return found, skipped


def _notebook_problem(data: bytes) -> str | None:
    import nbformat

    try:
        nbformat.reads(data.decode("utf-8"), as_version=4)
    except UnicodeDecodeError:
        return "not a notebook (not UTF-8 text)"
    except json.JSONDecodeError as exc:
        return f"not a notebook (invalid JSON: {exc.msg} at line {exc.lineno})"
    except Exception as exc:  # noqa: BLE001 - nbformat raises several kinds
        return f"not a notebook ({type(exc).__name__}: {str(exc)[:200]})"
    return None


@dataclass
class ImportResult:
    imported: list[tuple[str, str]]
    replaced: list[tuple[str, str]]
    skipped: list[str]
    backup: Path | None


def import_submissions(course: Course, path: str | Path, *, replace: bool = False
                       ) -> ImportResult:
    """Copy the submissions in ``path`` (folder or zip) to ``submitted/<student>/<lesson>/``."""
    course.require()
    lessons = course.released() or course.lessons()
    if not lessons:
        raise SubmissionError(f"{course.root} has no lessons; build and release first")
    found, skipped = scan(path, lessons)
    clashes = [(i.student, i.lesson) for i in found
               if (course.submitted / i.student / i.lesson).exists()]
    if clashes and not replace:
        listed = ", ".join(f"{s}/{lesson}" for s, lesson in clashes)
        raise SubmissionError(f"nothing was imported: already submitted: {listed} "
                              "(use --replace to replace them; the old ones are kept in backup/)")
    course.submitted.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".import-", dir=course.submitted))
    backup = None
    try:
        for inc in found:
            dest = stage / inc.student / inc.lesson
            dest.mkdir(parents=True)
            (dest / f"{inc.lesson}.ipynb").write_bytes(inc.data)
        if clashes:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            backup = course.root / "backup" / f"submitted-{stamp}"
            for student, lesson in clashes:
                (backup / student).mkdir(parents=True, exist_ok=True)
                shutil.move(str(course.submitted / student / lesson), str(backup / student / lesson))
        for inc in found:
            (course.submitted / inc.student).mkdir(exist_ok=True)
            os.replace(stage / inc.student / inc.lesson, course.submitted / inc.student / inc.lesson)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return ImportResult([(i.student, i.lesson) for i in found], clashes, skipped, backup)


# --- autograde ----------------------------------------------------------------------------

@dataclass
class GradeOutcome:
    """The result of autograding one student's lesson."""

    student: str
    lesson: str
    ok: bool
    seconds: float
    score: float | None = None
    max_score: float | None = None
    error: str | None = None


_EXC_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b.*)$")


def failure_reason(result: dict[str, Any]) -> str:
    """The most telling line of a failed nbgrader run: the last exception raised
    (e.g. ``CellTimeoutError``, ``DeadKernelError``), else its last error message."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    generic = ("NbGraderException: Please see", "There was an error processing",
               "Please see the", "Removing failed")
    for line in reversed(lines):
        m = _EXC_LINE.match(line)
        if m and not any(g in line for g in generic):
            return m.group(1)[:300]
    for line in reversed(lines):
        if "[ERROR]" in line and not any(g in line for g in generic):
            return line.replace("[ERROR]", "").strip()[:300]
    return "autograde failed"


def grade_one(course_root: str | Path, student: str, lesson: str, *, stock: bool = False
              ) -> GradeOutcome:
    """Autograde one (student, lesson) with nbgrader's ``Autograde`` (the course's
    configuration, or nbgrader's defaults with ``stock=True``). Never raises for a
    bad submission: the outcome says what went wrong, and the verdict log records it."""
    course = Course(Path(course_root))
    start = time.perf_counter()
    result = course.api(stock=stock).autograde(lesson, student, force=True, create=True)
    seconds = time.perf_counter() - start
    if not result.get("success"):
        reason = failure_reason(result)
        if not stock:
            _write_failure(course, student, lesson, reason)
        return GradeOutcome(student, lesson, False, seconds, 0.0, None, reason)
    score, max_score = submission_score(course, student, lesson)
    return GradeOutcome(student, lesson, True, seconds, score, max_score)


def _write_failure(course: Course, student: str, lesson: str, reason: str) -> None:
    folder = course.root / VERDICTS_DIR / lesson
    folder.mkdir(parents=True, exist_ok=True)
    record = {"student": student, "lesson": lesson, "status": "error", "reason": reason,
              "graded_at": datetime.now(UTC).isoformat(timespec="seconds"), "cells": {}}
    (folder / f"{student}.json").write_text(json.dumps(record, indent=1, sort_keys=True))


def submission_score(course: Course, student: str, lesson: str) -> tuple[float, float]:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, COURSE_ID) as gb:
        sub = gb.find_submission(lesson, student)
        return float(sub.score), float(sub.max_score)


def cell_scores(course: Course, student: str, lesson: str) -> dict[str, float | None]:
    """grade_id -> score of every graded cell of one submission, from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    out: dict[str, float | None] = {}
    with Gradebook(course.db_url, COURSE_ID) as gb:
        try:
            sub = gb.find_submission(lesson, student)
        except MissingEntry:
            return out
        for nb in sub.notebooks:
            for grade in nb.grades:
                out[grade.name] = None if grade.score is None else float(grade.score)
    return out


def autograde(course: Course, students: Sequence[str] = (), lessons: Sequence[str] = (), *,
              stock: bool = False, progress: Any = None) -> list[GradeOutcome]:
    """Autograde every submission (optionally only some students or lessons), one
    at a time."""
    course.require()
    todo = course.submissions(students, lessons)
    outcomes = []
    for student, lesson in todo:
        outcome = grade_one(course.root, student, lesson, stock=stock)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes


def autograded(course: Course, students: Sequence[str] = (), lessons: Sequence[str] = ()
               ) -> list[tuple[str, str]]:
    found = []
    for student, lesson in course.submissions(students, lessons):
        if (course.autograded / student / lesson / f"{lesson}.ipynb").is_file():
            found.append((student, lesson))
    return found


def generate_feedback(course: Course, students: Sequence[str] = (), lessons: Sequence[str] = ()
                      ) -> list[Path]:
    """nbgrader ``generate_feedback`` (with the course's preprocessors, which strip
    hidden tests) for every autograded submission; the HTML files written."""
    course.require()
    api = course.api()
    written = []
    for student, lesson in autograded(course, students, lessons):
        nbgrader_result(api.generate_feedback(lesson, student, force=True),
                        f"generate_feedback {lesson} for {student}")
        written += sorted((course.feedback / student / lesson).glob("*.html"))
    return written


def export_csv(course: Course, dest: str | Path, students: Iterable[str] = (),
               lessons: Iterable[str] = ()) -> Path:
    """nbgrader's CSV export (``CsvExportPlugin``, as ``nbgrader export``) of the gradebook."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    dest = Path(dest).resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    plugin = CsvExportPlugin(to=str(dest), student=list(students), assignment=list(lessons))
    with Gradebook(course.db_url, COURSE_ID) as gb:
        plugin.export(gb)
    return dest


__all__ = ["GradeOutcome", "ImportResult", "NbGraderError", "SubmissionError", "autograde",
           "cell_scores", "export_csv", "generate_feedback", "grade_one", "import_submissions",
           "scan"]
