"""The verdict log of one graded submission: ``<course>/lab_verdicts/<lesson>/<student>.json``.

One JSON object per submission: its status (``graded`` or ``error``), the verdict of
each test cell, the faults seen while grading and a digest of the submission. It is
the batch's commit marker (:mod:`grader.autograde.ledger`), so it is always written
whole: to a temporary file in the same folder, then renamed over the old one, and a
reader never sees half a file. This module is the one place that knows where the log
lives and how it is read and written; ``HiddenVerdicts``, the worker, the ledger and
the instructor report go through it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..course.paths import VERDICTS_DIR


def path(course_root: str | os.PathLike[str], lesson: str, student: str) -> Path:
    """Where the verdict log of ``student``'s submission of ``lesson`` lives in a course."""
    return Path(course_root) / VERDICTS_DIR / lesson / f"{student}.json"


def read(course_root: str | os.PathLike[str], lesson: str, student: str) -> dict[str, Any] | None:
    """The verdict log as a dict; None when it is missing, unreadable, not JSON or not
    a JSON object (a log cut short by a crash counts as missing)."""
    try:
        record = json.loads(path(course_root, lesson, student).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return record if isinstance(record, dict) else None


def write_atomic(course_root: str | os.PathLike[str], lesson: str, student: str,
                 record: dict[str, Any]) -> Path:
    """Write ``record`` as the verdict log, atomically (a temporary file renamed over
    the old log); the log's path."""
    if not isinstance(record, dict):
        raise ValueError(f"a verdict log is a dict, got {type(record).__name__}")
    dest = path(course_root, lesson, student)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh, indent=1, sort_keys=True)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def remove(course_root: str | os.PathLike[str], lesson: str, student: str) -> None:
    """Delete the verdict log (the submission then counts as not graded)."""
    path(course_root, lesson, student).unlink(missing_ok=True)
