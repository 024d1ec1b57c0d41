"""The instructor report as one self-contained HTML page: inline CSS, plots as inline SVG
(:mod:`grader.report.plots`), no script and no external resource, so it opens from a file
or an e-mail attachment as it is. Everything that comes from a student or the gradebook
(ids, names, faults, notes, reasons) is HTML-escaped; the hints come from the trusted
catalogue and are escaped too.
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import datetime, timezone

from . import plots, stats
from .data import ReportData, Submission, exercise_id, exercise_name
from .stats import LessonStats, Summary
from .text import last_line

#: the page's file name in the course folder when no path is given
HTML_FILE = "report.html"

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;
max-width:72em;padding:0 1em;color:#212121;line-height:1.4}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #c5cae9;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0 1em}
th,td{border:1px solid #e0e0e0;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.full{background:#e8f5e9}td.part{background:#fff8e1}td.zero{background:#ffebee}
td.unanswered{background:#eeeeee;color:#757575}
.muted{color:#757575}.plots{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}
.plots svg{max-width:100%;height:auto}
.mistake{font-family:ui-monospace,monospace}.hint{color:#424242;font-size:.95em}
.bad{color:#c62828;font-weight:600}nav a{margin-right:.8em}
pre{white-space:pre-wrap;background:#fafafa;padding:.5em;border:1px solid #eee}
"""


def e(value: object) -> str:
    """``value`` as HTML text, escaped."""
    return html.escape(str(value), quote=True)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _pts(x: float | None) -> str:
    if x is None:
        return "-"
    return str(int(x)) if float(x).is_integer() else f"{x:.2g}"


def _anchor(lesson: str) -> str:
    return "lesson-" + "".join(c if c.isalnum() else "-" for c in lesson)


def _table(header: list[str], rows: list[str]) -> str:
    """A table of already-escaped header cells and ``<tr>`` rows."""
    head = "".join(f"<th>{h}</th>" for h in header)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def format_html(data: ReportData, *, top: int = 10, generated: datetime | None = None) -> str:
    """The report as one HTML page: an overview of the lessons, then per lesson the score
    distribution, the outcome and item analysis of each exercise, its ``top`` most frequent
    diagnosed mistakes with their hints, the points per student; then the faults while
    grading, the notes and the submissions not graded."""
    when = (generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M %Z")
    lessons = stats.all_lessons(data)
    students = sorted({s.student for s in data.submissions} | set(data.students))
    parts = [f"<h1>Pretraining Lab report</h1><p class=muted>{e(data.course)}, {e(when)}</p>",
             f"<p>{len(students)} students, {len(data.submissions)} submissions, "
             f"{len(data.lessons)} lessons.</p>"]
    if not data.submissions:
        parts.append("<p><strong>No submissions in the gradebook yet.</strong></p>")
    if lessons:
        parts.append("<nav>" + "".join(f'<a href="#{_anchor(ls.lesson)}">{e(ls.lesson)}</a>'
                                       for ls in lessons) + "</nav>")
        parts.append(_overview(lessons))
    if data.submissions:
        parts += [_lesson(data, ls, top) for ls in lessons]
        parts += [_problems(data), _definitions()]
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>Pretraining Lab report</title><style>{CSS}</style></head><body>"
            + "\n".join(p for p in parts if p) + "\n</body></html>\n")


def _overview(lessons: list[LessonStats]) -> str:
    """One row per lesson: submissions, graded, mean, median, extremes (percent)."""
    rows = []
    for ls in lessons:
        name = f'<a href="#{_anchor(ls.lesson)}">{e(ls.lesson)}</a>'
        sm = ls.summary
        if not ls.submissions:
            rows.append(f"<tr><td>{name}</td><td colspan=7 class=muted>no submissions yet"
                        "</td></tr>")
            continue
        cells = [len(ls.submissions), len(ls.graded)]
        figures = (["-"] * 5 if sm is None else
                   [f"{sm.percent(v):.0f}%" for v in (sm.mean, sm.median, sm.minimum,
                                                      sm.maximum, sm.stdev)])
        rows.append(f"<tr><td>{name}</td>" + "".join(f"<td class=num>{c}</td>"
                                                    for c in [*cells, *figures]) + "</tr>")
    return "<h2>Lessons</h2>" + _table(
        ["lesson", "submissions", "graded", "mean", "median", "min", "max", "sd"], rows)


def _lesson(data: ReportData, ls: LessonStats, top: int) -> str:
    """A lesson's section (or that it has no submissions)."""
    head = f'<section id="{_anchor(ls.lesson)}"><h2>{e(ls.lesson)}</h2>'
    if not ls.submissions:
        return head + "<p><strong>No submissions yet.</strong></p></section>"
    missing = sorted(set(data.students) - {s.student for s in ls.submissions})
    parts = [head, _summary(ls.summary, len(ls.graded), len(ls.submissions), ls.max_score)]
    if missing:
        parts.append(f"<p class=muted>Not submitted ({len(missing)}): "
                     + ", ".join(e(data.label(m)) for m in missing) + "</p>")
    figures = [plots.score_histogram(ls), plots.outcomes(ls), plots.item_map(ls)]
    parts.append("<div class=plots>" + "".join(f for f in figures if f) + "</div>")
    parts += [_items(ls), _mistakes(data, ls, top), _scores(data, ls), "</section>"]
    return "\n".join(parts)


def _summary(sm: Summary | None, graded: int, submitted: int, max_score: float) -> str:
    text = f"{graded} of {submitted} submissions graded"
    if sm is None:
        return f"<p>{text}; nothing to summarize yet.</p>"
    return (f"<p>{text}. Score out of {_pts(max_score)}: mean <strong>{sm.mean:.1f}</strong> "
            f"({sm.percent(sm.mean):.0f}%), median <strong>{_pts(sm.median)}</strong> "
            f"({sm.percent(sm.median):.0f}%), min {_pts(sm.minimum)}, max {_pts(sm.maximum)}, "
            f"standard deviation {sm.stdev:.1f}.</p>")


def _items(ls: LessonStats) -> str:
    """The pass rate and item analysis of the lesson's exercises."""
    rows = []
    for number, it in enumerate(ls.items, 1):
        label = stats.discrimination_label(it.discrimination)
        flag = " class=bad" if label in {"poor", "negative"} else ""
        figures = [it.passed, it.graded, _pct(it.pass_rate), it.diagnosed, it.other_failures,
                   it.unanswered, _num(it.difficulty), _num(it.discrimination)]
        rows.append(f"<tr><td class=num>{number}</td><td>{e(exercise_name(it.grade_id))}</td>"
                    "<td class=num>"
                    f"{_pts(it.max_score)}</td>"
                    + "".join(f"<td class=num>{f}</td>" for f in figures)
                    + f"<td{flag}>{e(label)}</td></tr>")
    return "<h3>Exercises</h3>" + _table(
        ["#", "exercise", "points", "passed", "graded", "pass rate", "diagnosed mistake",
         "other failure", "unanswered", "difficulty", "discrimination", "reading"], rows)


def _mistakes(data: ReportData, ls: LessonStats, top: int) -> str:
    """Per exercise, its ``top`` most frequent diagnosed mistakes with their hints; the
    unanswered ones are counted apart, in the exercise table."""
    counts = stats.mistake_counts(ls.submissions)
    by_exercise: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (ex, m), n in stats.ranked(counts):
        by_exercise[ex].append((m, n))
    out = ["<h3>Most frequent diagnosed mistakes</h3>"]
    unanswered = sum(it.unanswered for it in ls.items)
    if not by_exercise:
        out.append("<p class=muted>No catalogued mistake was diagnosed.</p>")
    for gid, _ in ls.cells:
        ex = exercise_id(ls.lesson, gid)
        if ex not in by_exercise:
            continue
        rows = [f"<tr><td class=num>{n}</td><td class=mistake>{e(m)}</td><td class=hint>"
                f"{e(data.hints.get((ex, m), ''))}</td></tr>" for m, n in by_exercise[ex][:top]]
        out.append(f"<h4>{e(exercise_name(gid))}</h4>" + _table(["count", "mistake", "hint"],
                                                                 rows))
    blank = [e(data.label(s.student)) for s in ls.submissions if s.blank]
    if unanswered:
        out.append(f"<p class=muted>Exercises left unanswered (as released): {unanswered}, "
                   "not counted as mistakes"
                   + (f"; blank submissions ({len(blank)}): {', '.join(blank)}" if blank else "")
                   + ".</p>")
    return "\n".join(out)


def _score_cell(s: Submission, gid: str) -> str:
    cell = s.cells.get(gid)
    if cell is None:
        return "<td class=num>-</td>"
    if cell.unanswered:
        return "<td class='num unanswered' title='unanswered'>-</td>"
    kind = "full" if cell.passed else "zero" if not cell.score else "part"
    title = f" title='{e(cell.mistake)}'" if cell.mistake else ""
    return f"<td class='num {kind}'{title}>{_pts(cell.score)}</td>"


def _scores(data: ReportData, ls: LessonStats) -> str:
    """The points per student and exercise of one lesson."""
    rows = []
    for s in ls.submissions:
        total = f"{_pts(s.score)}/{_pts(ls.max_score)}"
        pct = f"{100 * s.score / ls.max_score:.0f}%" if ls.max_score else "-"
        rows.append(f"<tr><td>{e(s.student)}</td><td>{e(data.name(s.student))}</td>"
                    + "".join(_score_cell(s, gid) for gid, _ in ls.cells)
                    + f"<td class=num>{total}</td><td class=num>{pct}</td>"
                    f"<td>{e(s.status)}</td></tr>")
    header = ["student", "name", *[e(exercise_name(gid)) for gid, _ in ls.cells], "total", "%",
              "status"]
    return ("<h3>Points per student</h3><p class=muted>Grey: left unanswered; hover a cell "
            "for the mistake diagnosed.</p>" + _table(header, rows))


def _problems(data: ReportData) -> str:
    """The faults while grading, the notes on submissions and the submissions not graded."""
    parts = []
    for attr, title in (("faults", "Faults while grading (the cells they reached scored 0)"),
                        ("notes", "Notes on submissions (graded as usual)")):
        rows = [f"<tr><td>{e(data.label(s.student))}</td><td>{e(s.lesson)}</td>"
                f"<td>{e(item)}</td></tr>"
                for s in data.submissions for item in getattr(s, attr)]
        if rows:
            parts.append(f"<h2>{e(title)}</h2>" + _table(["student", "lesson", attr[:-1]], rows))
    rows = [f"<tr><td>{e(data.label(s.student))}</td><td>{e(s.lesson)}</td><td>{e(s.status)}"
            f"</td><td>{e(last_line(s.reason))}"
            + (f"<details><summary>details</summary><pre>{e(s.reason)}</pre></details>"
               if s.reason and s.reason.strip() != last_line(s.reason) else "")
            + "</td></tr>" for s in data.submissions if s.status != "graded"]
    if rows:
        parts.append("<h2>Submissions not graded</h2>"
                     + _table(["student", "lesson", "status", "why"], rows))
    return "\n".join(parts)


def _definitions() -> str:
    return ("<h2>How to read it</h2><p>Statistics count the graded submissions of a lesson. "
            "<strong>Difficulty</strong> is the mean fraction of an exercise's points (1: "
            "everyone got them all). <strong>Discrimination</strong> is the corrected "
            "item-total correlation: the correlation between the exercise's score and the "
            "rest of the lesson's score (point-biserial for an all-or-nothing exercise). "
            "0.40 and above is very good, 0.30-0.39 good, 0.20-0.29 marginal, below 0.20 "
            "poor; a negative value means strong submissions fail the exercise more often "
            "than weak ones (look at the exercise or its check); '-' when undefined (fewer "
            "than three graded submissions, or scores that do not vary). Unanswered "
            "exercises (left as released) are counted apart from the diagnosed mistakes."
            "</p>")

