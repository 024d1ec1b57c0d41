"""The instructor report as plain text, for the terminal: per lesson the points per student
and exercise, the score distribution (mean, median, a histogram); the pass rate and item
analysis of each exercise; the most frequent diagnosed mistakes with their hints, the
unanswered exercises apart; the faults while grading, the notes, the submissions not graded.
"""

from __future__ import annotations

import textwrap

from . import stats
from .data import ReportData, Submission, exercise_name
from .stats import LessonStats

#: bins of the text histogram (the HTML one has 10)
TEXT_BINS = 5
BAR_WIDTH = 40


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return str(int(x)) if float(x).is_integer() else f"{x:.2g}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _num(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> list[str]:
    right = right or set()
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()

    return [line(header), line(["-" * w for w in widths]), *map(line, rows)]


def format_report(data: ReportData, *, top: int = 10) -> str:
    """The report as plain text: a table and the score distribution per lesson (or that
    it has no submissions), the pass rates and item analysis, the ``top`` most frequent
    diagnosed mistakes, the unanswered exercises, the faults while grading, the notes and
    the submissions not graded."""
    students = sorted({s.student for s in data.submissions} | set(data.students))
    out = [f"Pretraining Lab report for {data.course}",
           f"{len(students)} students, {len(data.submissions)} submissions, "
           f"{len(data.lessons)} lessons"]
    if not data.submissions:
        out.append("\nNo submissions in the gradebook yet.")
        return "\n".join(out) + "\n"
    lessons = stats.all_lessons(data)
    for ls in lessons:
        out += _lesson_scores(data, ls)
    out += _pass_rates(lessons)
    out += _frequent_mistakes(data, top)
    out += _unanswered(data, lessons)
    out += _faults(data)
    out += _notes(data)
    out += _not_graded(data)
    return "\n".join(out) + "\n"


def _lesson_scores(data: ReportData, ls: LessonStats) -> list[str]:
    """The points per student and exercise of one lesson and its score distribution."""
    if not ls.submissions:
        return ["", f"== {ls.lesson}: no submissions yet =="]
    out = ["", f"== {ls.lesson}: points per student and exercise =="]
    out += [f"  [{i}] {exercise_name(gid)} ({_fmt(pts)} pt)" for i, (gid, pts) in
            enumerate(ls.cells, 1)]
    named = any(data.name(s.student) for s in ls.submissions)
    header = ["student", *[f"[{i}]" for i in range(1, len(ls.cells) + 1)], "total", "status"]
    rows = []
    for s in ls.submissions:
        row = [s.student]
        row += [_fmt(s.cells[gid].score) if gid in s.cells else "-" for gid, _ in ls.cells]
        row += [f"{_fmt(s.score)}/{_fmt(ls.max_score)}", s.status]
        rows.append(row + ([data.name(s.student)] if named else []))
    out += _table(header + (["name"] if named else []), rows,
                  right=set(range(1, len(ls.cells) + 2)))
    return out + _distribution(data, ls)


def _distribution(data: ReportData, ls: LessonStats) -> list[str]:
    """Mean, median, extremes and a histogram of one lesson's graded scores."""
    missing = len(set(data.students) - {s.student for s in ls.submissions})
    out = [f"  {len(ls.graded)} of {len(ls.submissions)} submissions graded"
           + (f"; {_plural(missing, 'student')} of the gradebook did not submit"
              if missing else "")]
    sm = ls.summary
    if sm is None:
        return out
    total = _fmt(ls.max_score)
    out.append(f"  score: mean {sm.mean:.1f}/{total} ({sm.percent(sm.mean):.0f}%), median "
               f"{_fmt(sm.median)}/{total} ({sm.percent(sm.median):.0f}%), min {_fmt(sm.minimum)}, "
               f"max {_fmt(sm.maximum)}, sd {sm.stdev:.1f}")
    counts = stats.histogram([s.score / ls.max_score if ls.max_score else 0.0
                              for s in ls.graded], TEXT_BINS)
    scale = max(1.0, max(counts) / BAR_WIDTH)
    step = 100 // TEXT_BINS
    for i, n in enumerate(counts):
        upper = 100 if i == TEXT_BINS - 1 else step * (i + 1) - 1
        out.append(f"  {f'{step * i}-{upper}%':>7}  {n:>3}  " + "#" * round(n / scale))
    return [line.rstrip() for line in out]


def _pass_rates(lessons: list[LessonStats]) -> list[str]:
    """Per exercise, how many graded submissions got its full points, how many left it
    unanswered, its difficulty and discrimination."""
    out = ["", "== Pass rate per exercise and item analysis (of graded submissions) =="]
    rows = []
    for ls in lessons:
        rows += [[f"{ls.lesson}/{exercise_name(it.grade_id)}", str(it.passed), str(it.graded),
                  f"{100 * it.pass_rate:.0f}%", str(it.unanswered), _num(it.difficulty),
                  _num(it.discrimination), stats.discrimination_label(it.discrimination)]
                 for it in ls.items if it.graded]
    if not rows:
        return [*out, "  (nothing graded yet)"]
    out += _table(["exercise", "passed", "graded", "rate", "unanswered", "difficulty",
                   "discrimination", "reading"], rows, right={1, 2, 3, 4, 5, 6})
    return out + ["  difficulty: the mean fraction of the points (1: everyone got them all);",
                  "  discrimination: the correlation of the exercise's score with the rest of "
                  "the lesson's",
                  "  (>= 0.4 very good, < 0.2 poor, negative: strong submissions fail it; "
                  "- when undefined)"]


def _frequent_mistakes(data: ReportData, top: int) -> list[str]:
    """The ``top`` most frequent (exercise, diagnosed mistake) pairs, with their hints;
    unanswered exercises are no mistakes."""
    counts = stats.mistake_counts(data.submissions)
    out = ["", f"== Most frequent diagnosed mistakes (top {top}) =="]
    if not counts:
        return [*out, "  (none)"]
    ranked = stats.ranked(counts)[:top]
    table = _table(["count", "exercise", "mistake"],
                   [[str(n), ex, m] for (ex, m), n in ranked], right={0})
    out += table[:2]
    for line, ((ex, m), _) in zip(table[2:], ranked, strict=True):
        out.append(line)
        hint = data.hints.get((ex, m))
        if hint:
            out += textwrap.wrap(hint, 88, initial_indent="      hint: ",
                                 subsequent_indent="            ")
    return out


def _unanswered(data: ReportData, lessons: list[LessonStats]) -> list[str]:
    """Per lesson, the submissions left blank (every exercise as released) and how often
    each exercise was left unanswered in the others: counted apart from the mistakes."""
    out = []
    for ls in lessons:
        blank = [s for s in ls.submissions if s.blank]
        counts = stats.unanswered_counts(s for s in ls.submissions if not s.blank)
        parts = []
        if blank:
            parts.append(f"{_plural(len(blank), 'blank submission')} ("
                         + ", ".join(data.label(s.student) for s in blank) + ")")
        if counts:
            parts.append("unanswered in the others: " + ", ".join(
                f"{ex.split('/', 1)[-1]} {n}" for ex, n in stats.ranked(counts)))
        if parts:
            out += textwrap.wrap(f"{ls.lesson}: " + "; ".join(parts), 88, initial_indent="  ",
                                 subsequent_indent="    ", break_on_hyphens=False)
    if not out:
        return []
    return ["", "== Exercises left unanswered (not counted as mistakes) ==", *out]


def _listing(data: ReportData, subs: list[Submission], attr: str) -> list[str]:
    return [f"  {data.label(s.student)} / {s.lesson}: {item}" for s in subs
            for item in getattr(s, attr)]


def _faults(data: ReportData) -> list[str]:
    """What went wrong while grading, per submission (nothing if nothing did)."""
    faulty = [s for s in data.submissions if s.faults]
    if not faulty:
        return []
    return ["", "== Faults while grading (the cells they reached scored 0) ==",
            *_listing(data, faulty, "faults")]


def _notes(data: ReportData) -> list[str]:
    """Harmless remarks on submissions (a renamed notebook, ignored files), apart from the
    faults: they cost no points."""
    noted = [s for s in data.submissions if s.notes]
    if not noted:
        return []
    return ["", "== Notes on submissions (graded as usual) ==", *_listing(data, noted, "notes")]


def last_line(reason: str | None) -> str:
    """The last line of a reason (a traceback's message), or ``not autograded yet``."""
    lines = (reason or "not autograded yet").strip().splitlines()
    return lines[-1] if lines else ""


def _not_graded(data: ReportData) -> list[str]:
    """The submissions not graded and why (nothing if all are)."""
    problems = [s for s in data.submissions if s.status != "graded"]
    if not problems:
        return []
    return ["", "== Submissions not graded ==",
            *[f"  {data.label(s.student)} / {s.lesson}: {s.status}: {last_line(s.reason)}"
              for s in problems]]
