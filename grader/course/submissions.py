"""Importing submissions into a course (``pretraining-lab import``).

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
"""


from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import nbformat

from .directory import Course

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
        reason = read_notebook_bytes(data)[1]
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


def read_notebook_bytes(data: bytes) -> tuple[Any, str | None]:
    """(notebook, None), or (None, why it is not a notebook nbformat accepts): UTF-8 JSON
    with a list of cells, readable as nbformat 4 and valid against its schema. The one
    test of "is this a notebook" for import and autograde alike."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "the notebook file is not UTF-8 text"
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"the notebook file is not valid JSON ({exc.msg} at line {exc.lineno})"
    if not isinstance(parsed, dict) or not isinstance(parsed.get("cells"), list):
        return None, "the file is valid JSON but not a notebook (it has no list of cells)"
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        return None, (f"the file is not a notebook nbformat can read ({type(exc).__name__}: "
                      f"{str(exc)[:150]})")
    try:
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001
        return None, ("the notebook does not follow the notebook format "
                      f"({str(exc).splitlines()[0][:150]})")
    return nb, None



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
