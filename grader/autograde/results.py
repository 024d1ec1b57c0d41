"""What autograding left in a course: scores from the gradebook, the reason a run
failed, feedback and the CSV export, all through nbgrader's own API and gradebook."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import CsvExportPlugin

from ..course.directory import Course
from ..course.paths import COURSE_ID
from ..course.release import nbgrader_result

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



def submission_score(course: Course, student: str, lesson: str) -> tuple[float, float]:
    with Gradebook(course.db_url, COURSE_ID) as gb:
        sub = gb.find_submission(lesson, student)
        return float(sub.score), float(sub.max_score)


def cell_scores(course: Course, student: str, lesson: str) -> dict[str, float | None]:
    """grade_id -> score of every graded cell of one submission, from the gradebook."""
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



def autograded(course: Course, students: Sequence[str] = (), lessons: Sequence[str] = ()
               ) -> list[tuple[str, str]]:
    """(student, lesson) pairs with an autograded notebook, optionally filtered. Read from
    ``autograded/``, not ``submitted/``: a submission whose notebook was missing or renamed
    has no ``<lesson>.ipynb`` there, yet was graded (as a substitute, or under its name)
    and must get feedback that says what happened."""
    found = []
    if not course.autograded.is_dir():
        return found
    for sdir in sorted(course.autograded.iterdir()):
        if not sdir.is_dir() or (students and sdir.name not in students):
            continue
        for ldir in sorted(sdir.iterdir()):
            if (not lessons or ldir.name in lessons) and (ldir / f"{ldir.name}.ipynb").is_file():
                found.append((sdir.name, ldir.name))
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
    dest = Path(dest).resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    plugin = CsvExportPlugin(to=str(dest), student=list(students), assignment=list(lessons))
    with Gradebook(course.db_url, COURSE_ID) as gb:
        plugin.export(gb)
    return dest

