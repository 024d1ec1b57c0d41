"""The instructor report: scores per student and exercise, the score distribution of each
lesson, the pass rate and item analysis of each exercise, the most frequent diagnosed
mistakes with their hints (unanswered exercises apart), the faults while grading, the notes
and the submissions not graded (``docs/architecture.md``, "How one check travels";
``docs/grading-and-sandbox.md``, "Faults").

:func:`~grader.report.data.collect` reads a course once (the single source);
:mod:`~grader.report.stats` computes the statistics from what it read;
:mod:`~grader.report.text` writes the plain-text report for the terminal and
:mod:`~grader.report.html_page` one self-contained HTML page with plots
(:mod:`~grader.report.plots`).
"""

from __future__ import annotations

from pathlib import Path

from ..course.directory import Course
from .data import CellResult, ReportData, Submission, collect, exercise_name
from .html_page import HTML_FILE, format_html
from .text import format_report

__all__ = ["HTML_FILE", "CellResult", "ReportData", "Submission", "collect", "exercise_name",
           "format_html", "format_report", "report", "write_html"]


def report(course: Course, *, top: int = 10) -> str:
    """The report of ``course`` as plain text (:func:`collect`, then
    :func:`format_report`)."""
    return format_report(collect(course), top=top)


def write_html(course: Course, dest: str | Path | None = None, *, top: int = 10) -> Path:
    """Write the report of ``course`` as one self-contained HTML page to ``dest`` (default
    ``<course>/report.html``); its path."""
    data = collect(course)
    path = Path(dest) if dest else Path(course.root) / HTML_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(format_html(data, top=top), encoding="utf-8")
    return path
