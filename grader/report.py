"""The instructor report: scores per student and exercise, the pass rate per
exercise, the most frequent diagnosed mistakes, the faults while grading and the
submissions not graded (``docs/architecture.md``, "How one check travels";
``docs/grading-and-sandbox.md``, "Faults").

Scores come from nbgrader's gradebook (so manual overrides made in formgrader
count); the diagnosed mistakes and autograde failures come from the verdict logs
that ``HiddenVerdicts`` writes in ``<course>/lab_verdicts/``. The output is a plain
text table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from nbgrader.api import Gradebook

from .autograde import verdict_log
from .course.directory import Course
from .course.paths import CHECK_PREFIX, COURSE_ID


@dataclass
class CellResult:
    """One autograded cell of one submission: its score (None if not scored), its
    points and the mistake diagnosed there."""

    score: float | None
    max_score: float
    mistake: str | None = None


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


@dataclass
class ReportData:
    """Everything the report shows, read from one course."""

    course: str
    #: lesson -> [(grade_id, max points)] of its autograded cells, in notebook order
    lessons: dict[str, list[tuple[str, float]]]
    submissions: list[Submission]


def exercise_name(grade_id: str) -> str:
    """The exercise a test cell checks: its grade_id without the check prefix."""
    return grade_id.removeprefix(CHECK_PREFIX)


def collect(course: Course) -> ReportData:
    """Read the gradebook and the verdict logs of ``course``."""
    course.require()
    lessons: dict[str, list[tuple[str, float]]] = {}
    subs: list[Submission] = []
    if not course.db_path.exists():
        return ReportData(str(course.root), lessons, subs)
    with Gradebook(course.db_url, COURSE_ID) as gb:
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            cells: list[tuple[str, float]] = []
            for nb in assignment.notebooks:
                order = {c.name: i for i, c in enumerate(nb.source_cells)}
                graded = [c for c in nb.grade_cells if c.cell_type == "code"
                          and c.name not in {s.name for s in nb.solution_cells}]
                cells += [(c.name, float(c.max_score))
                          for c in sorted(graded, key=lambda c: order.get(c.name, 0))]
            lessons[assignment.name] = cells
            for sub in sorted(assignment.submissions, key=lambda s: s.student.id):
                student = sub.student.id
                log = verdict_log.read(course.root, assignment.name, student) or {}
                verdicts = log.get("cells", {})
                result = Submission(student, assignment.name)
                result.faults = [str(f) for f in log.get("faults", [])]
                result.notes = [str(n) for n in log.get("notes", [])]
                autograded = (course.autograded / student / assignment.name).is_dir()
                if log.get("status") == "error":
                    result.status, result.reason = "error", log.get("reason")
                elif not autograded:
                    result.status = "not graded"
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        if grade.name not in dict(cells):
                            continue
                        v = verdicts.get(grade.name, {})
                        score = None if grade.score is None else float(grade.score)
                        result.cells[grade.name] = CellResult(score, float(grade.max_score),
                                                              v.get("mistake"))
                subs.append(result)
    return ReportData(str(course.root), lessons, subs)


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return str(int(x)) if float(x).is_integer() else f"{x:.2g}"


def _table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> list[str]:
    right = right or set()
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()

    return [line(header), line(["-" * w for w in widths]), *map(line, rows)]


def format_report(data: ReportData, *, top: int = 10) -> str:
    """The report as plain text: a table per lesson, the pass rates, the ``top``
    most frequent diagnosed mistakes, the faults while grading and the submissions
    not graded."""
    students = sorted({s.student for s in data.submissions})
    out = [f"Pretraining Lab report for {data.course}",
           f"{len(students)} students, {len(data.submissions)} submissions, "
           f"{len(data.lessons)} lessons"]
    if not data.submissions:
        out.append("\nNo submissions in the gradebook yet.")
        return "\n".join(out) + "\n"
    for lesson, cells in data.lessons.items():
        out += _lesson_scores(lesson, cells, [s for s in data.submissions if s.lesson == lesson])
    out += _pass_rates(data)
    out += _frequent_mistakes(data, top)
    out += _faults(data)
    out += _notes(data)
    out += _not_graded(data)
    return "\n".join(out) + "\n"


def _lesson_scores(lesson: str, cells: list[tuple[str, float]],
                   subs: list[Submission]) -> list[str]:
    """The points per student and exercise of one lesson (nothing if no submission)."""
    if not subs:
        return []
    out = ["", f"== {lesson}: points per student and exercise =="]
    out += [f"  [{i}] {exercise_name(gid)} ({_fmt(pts)} pt)" for i, (gid, pts) in
            enumerate(cells, 1)]
    total = sum(p for _, p in cells)
    header = ["student", *[f"[{i}]" for i in range(1, len(cells) + 1)], "total", "status"]
    rows = []
    for s in subs:
        row = [s.student]
        row += [_fmt(s.cells[gid].score) if gid in s.cells else "-" for gid, _ in cells]
        row += [f"{_fmt(s.score)}/{_fmt(total)}", s.status]
        rows.append(row)
    return out + _table(header, rows, right=set(range(1, len(cells) + 2)))


def _pass_rates(data: ReportData) -> list[str]:
    """Per exercise, how many graded submissions got its full points."""
    out = ["", "== Pass rate per exercise (full points, of graded submissions) =="]
    rows = []
    for lesson, cells in data.lessons.items():
        graded = [s for s in data.submissions if s.lesson == lesson and s.status == "graded"]
        if not graded:
            continue
        for gid, pts in cells:
            passed = sum(1 for s in graded if gid in s.cells and s.cells[gid].score is not None
                         and s.cells[gid].score >= pts)
            rows.append([f"{lesson}/{exercise_name(gid)}", str(passed), str(len(graded)),
                         f"{100 * passed / len(graded):.0f}%"])
    if not rows:
        return [*out, "  (nothing graded yet)"]
    return out + _table(["exercise", "passed", "graded", "rate"], rows, right={1, 2, 3})


def _frequent_mistakes(data: ReportData, top: int) -> list[str]:
    """The ``top`` most frequent (exercise, diagnosed mistake) pairs."""
    counts: Counter[tuple[str, str]] = Counter()
    for s in data.submissions:
        for gid, cell in s.cells.items():
            if cell.mistake:
                counts[(f"{s.lesson}/{exercise_name(gid)}", cell.mistake)] += 1
    out = ["", f"== Most frequent diagnosed mistakes (top {top}) =="]
    if not counts:
        return [*out, "  (none)"]
    rows = [[str(n), ex, m] for (ex, m), n in
            sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    return out + _table(["count", "exercise", "mistake"], rows, right={0})


def _faults(data: ReportData) -> list[str]:
    """What went wrong while grading, per submission (nothing if nothing did)."""
    faulty = [s for s in data.submissions if s.faults]
    if not faulty:
        return []
    out = ["", "== Faults while grading (the cells they reached scored 0) =="]
    for s in faulty:
        out += [f"  {s.student} / {s.lesson}: {f}" for f in s.faults]
    return out


def _notes(data: ReportData) -> list[str]:
    """Harmless remarks on submissions (a renamed notebook, ignored files), apart from the
    faults: they cost no points."""
    noted = [s for s in data.submissions if s.notes]
    if not noted:
        return []
    out = ["", "== Notes on submissions (graded as usual) =="]
    for s in noted:
        out += [f"  {s.student} / {s.lesson}: {n}" for n in s.notes]
    return out


def _not_graded(data: ReportData) -> list[str]:
    """The submissions not graded and why (nothing if all are)."""
    problems = [s for s in data.submissions if s.status != "graded"]
    if not problems:
        return []
    out = ["", "== Submissions not graded =="]
    for s in problems:
        reason = (s.reason or "not autograded yet").strip().splitlines()
        out.append(f"  {s.student} / {s.lesson}: {s.status}: {reason[-1] if reason else ''}")
    return out


def report(course: Course, *, top: int = 10) -> str:
    """The report of ``course`` as plain text (:func:`collect`, then
    :func:`format_report`)."""
    return format_report(collect(course), top=top)
