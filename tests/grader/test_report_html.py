"""The HTML report: one self-contained page (inline SVG plots, no external resource, no
script), what students wrote escaped, names, hints, lessons without submissions; and
``collect`` with ``pretraining-lab report [--html]`` on a tiny gradebook made with
nbgrader's API (no kernel)."""

from __future__ import annotations

import os
import re
import sys

import pytest
from nbgrader.api import Gradebook

from grader import cli
from grader.autograde import verdict_log
from grader.course.directory import Course
from grader.course.paths import CONFIG_FILE, COURSE_ID, SECRET_FILE
from grader.report import CellResult, ReportData, Submission, collect, format_html

LESSON = "02_attention"
CELLS = [("check_padding_mask", 1.0), ("check_scaled_dot_product_attention", 3.0)]
SDPA = f"{LESSON}/scaled_dot_product_attention"
EVIL = "<script>alert('x')</script>"


def sub(student, pm, sdpa, mistakes=(None, None), **kw):
    cells = {gid: CellResult(x, pts, m) for (gid, pts), x, m in zip(CELLS, (pm, sdpa), mistakes,
                                                                      strict=True)}
    return Submission(student, LESSON, cells, **kw)


def data():
    return ReportData("/course", {LESSON: CELLS, "03_encoder": [("check_ffn", 1.0)]}, [
        sub("alice", 1, 3),
        sub("bob", 0, 0, ("not_implemented", "missing_scale")),
        sub("carol", 1, 0, (None, "missing_scale"), faults=[f"fault {EVIL}"]),
        sub("dan", 0, 0, status="error", reason="Traceback\nCellTimeoutError: no reply"),
    ], students={"alice": "Ada Lovelace", "bob": "", "carol": EVIL, "dan": ""},
        hints={(SDPA, "missing_scale"): "Divide by sqrt(d_k) & mind <the> scale."})


def test_the_page_is_self_contained():
    """Plots are inline SVG; no src or href reaches outside the page; no script."""
    page = format_html(data())
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 3
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//)""", page, re.I)
    assert "<script" not in page.lower() and "@import" not in page and "url(http" not in page


def test_what_students_wrote_is_escaped():
    """A name or fault holding HTML is shown as text, never as markup; hints too."""
    page = format_html(data())
    assert EVIL not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "Divide by sqrt(d_k) &amp; mind &lt;the&gt; scale." in page


def test_names_statistics_mistakes_and_empty_lessons_are_shown():
    """Names beside ids, mean and median, the hint of the frequent mistake, the unanswered
    count apart, a lesson without submissions said to have none, the faults and the
    submissions not graded."""
    page = format_html(data())
    assert "<td>alice</td><td>Ada Lovelace</td>" in page
    assert "mean <strong>1.7</strong> (42%), median <strong>1</strong> (25%)" in page
    assert "<td class=mistake>missing_scale</td>" in page
    assert "not_implemented" not in page.split("Most frequent diagnosed mistakes")[1]
    assert "Exercises left unanswered (as released): 1, not counted as mistakes." in page
    blank = format_html(ReportData("/c", {LESSON: CELLS}, [
        sub("erin", 0, 0, ("not_implemented", "not_implemented"))]))
    assert "unanswered (as released): 2, not counted as mistakes; blank submissions (1): erin" \
        in blank
    encoder = page.split('<section id="lesson-03-encoder">')[1].split("</section>")[0]
    assert "No submissions yet." in encoder
    assert "Faults while grading" in page and "CellTimeoutError: no reply" in page


def test_an_empty_gradebook_says_so():
    """No submissions at all: the page says so, with no plot."""
    page = format_html(ReportData("/c", {LESSON: CELLS}, []))
    assert "No submissions in the gradebook yet." in page and "<svg" not in page


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder with a gradebook of one lesson: alice (named, graded, an unanswered
    exercise and a fault), bob (graded, a diagnosed mistake), carol (named, no submission)."""
    root = tmp_path_factory.mktemp("report") / "course"
    root.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        # nbgrader runs its environment's `alembic` to create a gradebook.
        mp.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable),
                                           os.environ.get("PATH", "")]))
        return _gradebook(root)


def _gradebook(root):
    (root / CONFIG_FILE).write_text("")
    (root / SECRET_FILE).write_text("s\n")
    course = Course(root)
    with Gradebook(course.db_url, COURSE_ID) as gb:
        gb.add_assignment(LESSON)
        gb.add_notebook(LESSON, LESSON)
        for name, pts in CELLS:
            gb.add_grade_cell(name, LESSON, LESSON, max_score=pts, cell_type="code")
        gb.add_student("alice", first_name="Ada", last_name="Lovelace")
        gb.add_student("bob")
        gb.add_student("carol", first_name="Carol")
        for student, scores in (("alice", (0, 3)), ("bob", (1, 0))):
            gb.add_submission(LESSON, student)
            for (name, _), score in zip(CELLS, scores, strict=True):
                gb.find_grade(name, LESSON, LESSON, student).auto_score = score
            (course.autograded / student / LESSON).mkdir(parents=True)
        gb.db.commit()
    verdict_log.write_atomic(root, LESSON, "alice", {
        "status": "graded", "faults": ["the kernel died"], "notes": [],
        "cells": {"check_padding_mask": {"mistake": "not_implemented"}}})
    verdict_log.write_atomic(root, LESSON, "bob", {
        "status": "graded", "faults": [], "notes": ["renamed notebook"],
        "cells": {"check_scaled_dot_product_attention": {"mistake": "missing_scale"}}})
    return course


def test_collect_reads_names_scores_and_verdicts(course):
    """Names come from the gradebook where set; scores from its grades; mistakes, faults
    and notes from the verdict logs."""
    d = collect(course)
    assert d.students == {"alice": "Ada Lovelace", "bob": "", "carol": "Carol"}
    alice, bob = d.submissions
    assert alice.score == 3 and bob.score == 1 and alice.status == bob.status == "graded"
    assert alice.cells["check_padding_mask"].unanswered
    assert bob.cells["check_scaled_dot_product_attention"].mistake == "missing_scale"
    assert alice.faults == ["the kernel died"] and bob.notes == ["renamed notebook"]


def test_cli_prints_the_text_report_with_names(course, capsys):
    """``pretraining-lab report`` names the students and counts the unanswered apart."""
    assert cli.main(["report", "--course", str(course.root)]) == 0
    out = capsys.readouterr().out
    assert "Ada Lovelace (alice) / 02_attention: the kernel died" in out
    assert "1 student of the gradebook did not submit" in out
    assert "Exercises left unanswered (not counted as mistakes)" in out


def test_cli_writes_the_html_page(course, tmp_path, capsys):
    """``--html PATH`` writes the page there; ``--html`` alone, to <course>/report.html."""
    dest = tmp_path / "out" / "report.html"
    assert cli.main(["report", "--course", str(course.root), "--html", str(dest)]) == 0
    assert str(dest) in capsys.readouterr().out
    page = dest.read_text()
    assert "Ada Lovelace" in page and "<svg" in page and "Not submitted (1): Carol (carol)" in page
    assert cli.main(["report", "--course", str(course.root), "--html"]) == 0
    assert (course.root / "report.html").is_file()
