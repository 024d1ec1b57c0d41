"""What a batch has graded: the submissions found, their digests, the verdict logs
that mark a submission as merged (resume), and the merge of one privately graded
submission into the real course (see *Merge* and *Resume* in :mod:`grader.autograde.batch`).
Only the parent process calls :func:`merge` and :func:`record_error`, one at a time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nbgrader.api import Gradebook

from ..course.directory import Course
from ..course.paths import COURSE_ID
from . import verdict_log

#: The folder, in the course, where workers grade (one private course per submission).
WORK_DIR = ".lab_work"


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


def is_done(course: Course, student: str, lesson: str, digest: str | None = None) -> bool:
    """Whether this submission's grading was merged completely (see *Resume*)."""
    log = verdict_log.read(course.root, lesson, student)
    if log is None or log.get("status") != "graded":
        return False
    if digest is None:
        digest = submission_digest(course.submitted / student / lesson)
    return log.get("digest") == digest and (course.autograded / student / lesson).is_dir()


def merge(course: Course, result: dict[str, Any]) -> None:
    """Merge one graded submission into the real course (see *Merge*)."""
    student, lesson = result["student"], result["lesson"]
    verdict_log.remove(course.root, lesson, student)
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
    verdict_log.write_atomic(course.root, lesson, student, result["log"])  # last: the commit marker
    shutil.rmtree(result["wd"], ignore_errors=True)


def record_error(course: Course, student: str, lesson: str, reason: str, digest: str) -> None:
    """A submission that could not be graded at all: a verdict log saying why (it is
    graded again on the next run)."""
    record = {"student": student, "lesson": lesson, "status": "error", "reason": reason,
              "digest": digest, "faults": [reason], "cells": {},
              "graded_at": datetime.now(UTC).isoformat(timespec="seconds")}
    verdict_log.write_atomic(course.root, lesson, student, record)
