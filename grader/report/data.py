"""What the instructor report shows, read from one course: the single source of both the
text and the HTML report.

Scores come from nbgrader's gradebook (so manual overrides made in formgrader count), as do
the students' names; the diagnosed mistakes, faults and notes come from the verdict logs
that ``HiddenVerdicts`` writes in ``<course>/lab_verdicts/``
(:mod:`grader.autograde.verdict_log`); the hints of the diagnosed mistakes come from the
trusted catalogue (:mod:`grader.checks.registry`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from nbgrader.api import Gradebook

from ..autograde import verdict_log
from ..course.directory import Course
from ..course.paths import CHECK_PREFIX, COURSE_ID

#: The mistake id of an exercise left as released (its ``NotImplementedError``): an
#: unanswered exercise, counted apart from the diagnosed mistakes.
UNANSWERED = "not_implemented"


@dataclass
class CellResult:
    """One autograded cell of one submission: its score (None if not scored), its
    points and the mistake diagnosed there."""

    score: float | None
    max_score: float
    mistake: str | None = None

    @property
    def unanswered(self) -> bool:
        """The exercise was left as released (no answer written)."""
        return self.mistake == UNANSWERED

    @property
    def passed(self) -> bool:
        """It got its full points."""
        return self.score is not None and self.score >= self.max_score


@dataclass
class Submission:
    """One student's submission of one lesson, cell by cell."""

    student: str
    lesson: str
    cells: dict[str, CellResult] = field(default_factory=dict)
    status: str = "graded"  # "graded", "error" or "not graded"
    reason: str | None = None
    #: what went wrong while grading (a timeout, a dead kernel, an unreadable file, ...)
    faults: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        """The points it got (an unscored cell counts 0)."""
        return sum(c.score or 0.0 for c in self.cells.values())

    @property
    def max_score(self) -> float:
        """The points it could get."""
        return sum(c.max_score for c in self.cells.values())

    @property
    def blank(self) -> bool:
        """Every exercise left as released: nothing answered at all."""
        return bool(self.cells) and all(c.unanswered for c in self.cells.values())


@dataclass
class ReportData:
    """Everything the report shows, read from one course."""

    course: str
    #: lesson -> [(grade_id, max points)] of its autograded cells, in notebook order
    lessons: dict[str, list[tuple[str, float]]]
    submissions: list[Submission]
    #: every student of the gradebook -> their name ("" where the gradebook has none)
    students: dict[str, str] = field(default_factory=dict)
    #: (exercise id, mistake id) -> the hint the catalogue gives for it
    hints: dict[tuple[str, str], str] = field(default_factory=dict)

    def name(self, student: str) -> str:
        """The student's name, "" where the gradebook has none."""
        return self.students.get(student, "")

    def label(self, student: str) -> str:
        """``Ada Lovelace (alice)`` where the name is known, else the id."""
        name = self.name(student)
        return f"{name} ({student})" if name else student

    def of_lesson(self, lesson: str) -> list[Submission]:
        """The submissions of one lesson."""
        return [s for s in self.submissions if s.lesson == lesson]


def exercise_name(grade_id: str) -> str:
    """The exercise a test cell checks: its grade_id without the check prefix."""
    return grade_id.removeprefix(CHECK_PREFIX)


def exercise_id(lesson: str, grade_id: str) -> str:
    """The catalogue's id of the exercise a test cell checks: ``<lesson>/<exercise>``."""
    return f"{lesson}/{exercise_name(grade_id)}"


def mistake_hints(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The catalogue's hint of each (exercise id, mistake id) it knows. A catalogue that
    cannot be loaded (an exercise being written) gives no hints rather than no report."""
    from ..checks import registry

    try:
        known = registry.exercises()
    except Exception:  # noqa: BLE001 - the report works without hints
        return {}
    hints = {}
    for ex_id, mistake_id in pairs:
        entry = known[ex_id].entry if ex_id in known else None
        found = [m.hint for m in (entry.mistakes if entry else ()) if m.id == mistake_id]
        if found:
            hints[(ex_id, mistake_id)] = found[0]
    return hints


def _student_name(student) -> str:  # noqa: ANN001 - nbgrader's Student
    return " ".join(p.strip() for p in (student.first_name, student.last_name)
                    if p and p.strip())


def _lesson_cells(assignment) -> list[tuple[str, float]]:  # noqa: ANN001 - nbgrader's Assignment
    """The autograded cells of an assignment, in notebook order."""
    cells: list[tuple[str, float]] = []
    for nb in assignment.notebooks:
        order = {c.name: i for i, c in enumerate(nb.source_cells)}
        graded = [c for c in nb.grade_cells if c.cell_type == "code"
                  and c.name not in {s.name for s in nb.solution_cells}]
        cells += [(c.name, float(c.max_score))
                  for c in sorted(graded, key=lambda c: order.get(c.name, 0))]
    return cells


def _submission(course: Course, sub, cells: list[tuple[str, float]]) -> Submission:  # noqa: ANN001
    """One gradebook submission with its verdict log."""
    student, lesson = sub.student.id, sub.assignment.name
    log = verdict_log.read(course.root, lesson, student) or {}
    verdicts = log.get("cells", {})
    result = Submission(student, lesson)
    result.faults = [str(f) for f in log.get("faults", [])]
    result.notes = [str(n) for n in log.get("notes", [])]
    if log.get("status") == "error":
        result.status, result.reason = "error", log.get("reason")
    elif not (course.autograded / student / lesson).is_dir():
        result.status = "not graded"
    wanted = dict(cells)
    for nb in sub.notebooks:
        for grade in nb.grades:
            if grade.name not in wanted:
                continue
            v = verdicts.get(grade.name, {})
            mistake = v.get("mistake") if isinstance(v, dict) else None
            score = None if grade.score is None else float(grade.score)
            result.cells[grade.name] = CellResult(score, float(grade.max_score),
                                                  str(mistake) if mistake else None)
    return result


def collect(course: Course) -> ReportData:
    """Read the gradebook, the verdict logs and the catalogue's hints of ``course``."""
    course.require()
    data = ReportData(str(course.root), {}, [])
    if not course.db_path.exists():
        return data
    with Gradebook(course.db_url, COURSE_ID) as gb:
        data.students = {s.id: _student_name(s) for s in sorted(gb.students, key=lambda s: s.id)}
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            cells = _lesson_cells(assignment)
            data.lessons[assignment.name] = cells
            for sub in sorted(assignment.submissions, key=lambda s: s.student.id):
                data.submissions.append(_submission(course, sub, cells))
    data.hints = mistake_hints({(exercise_id(s.lesson, gid), c.mistake)
                                for s in data.submissions for gid, c in s.cells.items()
                                if c.mistake and not c.unanswered})
    return data
