"""End to end with real nbgrader: build, release, submit sample submissions, autograde,
feedback, export, report; every graded cell must score exactly what the sample
deserves, and the feedback must show no hidden-test code.

To stay within a few minutes on 2 cores, every lesson gets its ``correct`` sample
and the other kinds are spread over the lessons (each kind graded at least once);
``LAB_E2E_ALL=1`` grades every kind of every lesson.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from grader.autograde.batch import run_batch
from grader.autograde.results import export_csv, generate_feedback
from grader.course.lessons import available_lessons
from grader.course.paths import SOLUTIONS_DIR
from grader.course.samples.sample import KINDS
from grader.demo import compare_scores, feedback_leaks, prepare
from grader.report import report
from tests.grader.autograde.preprocessors.test_math_to_mathml import raw_math_left
from tests.grader.data import dev_lesson

pytestmark = pytest.mark.slow

OTHER_KINDS = [k for k in KINDS if k != "correct"]


def plan(lessons: list[str], solutions: Path) -> dict[str, list[str]]:
    """The sample kinds graded per lesson: each lesson's correct one, the others
    spread over the lessons (a mistake where a lesson has mistake files)."""
    if os.environ.get("LAB_E2E_ALL"):
        return {lesson: list(KINDS) for lesson in lessons}
    kinds = {lesson: ["correct"] for lesson in lessons}
    with_mistakes = [x for x in lessons if list((solutions / x / "mistakes").glob("*__*.py"))]
    for i, kind in enumerate(OTHER_KINDS):
        pool = with_mistakes if kind == "mistake" and with_mistakes else lessons
        kinds[pool[i % len(pool)]].append(kind)
    return kinds


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    solutions = SOLUTIONS_DIR
    lessons = available_lessons(solutions)
    if not lessons:  # before the real lessons land: the development lesson
        solutions = base / "solutions"
        dev_lesson.write(solutions)
        lessons = [dev_lesson.LESSON]
    course, samples = prepare(base / "course", lessons, solutions_dir=solutions,
                              kinds=plan(lessons, Path(solutions)), max_mistakes=1,
                              out=lambda line: None)
    # What `pretraining-lab autograde --workers 1` runs: sequential grading is the batch
    # with one worker.
    outcomes = run_batch(course, workers=1)
    feedback = generate_feedback(course)
    return course, samples, outcomes, feedback


def test_every_sample_scores_exactly_what_it_deserves(graded):
    course, samples, outcomes, _ = graded
    assert {s.kind for s in samples} == set(KINDS)
    assert all(o.ok for o in outcomes), [(o.student, o.lesson, o.error) for o in outcomes if not o.ok]
    wrong = [(s.lesson, s.student, s.expected, got) for s, got, ok in compare_scores(course, samples)
             if not ok]
    assert not wrong


def test_feedback_shows_no_hidden_tests(graded):
    course, samples, _, feedback = graded
    assert len(feedback) == len(samples)
    assert feedback_leaks(feedback) == []
    text = "".join(p.read_text() for p in feedback)
    assert "labkit.record" not in text and "### BEGIN HIDDEN TESTS" not in text
    assert "CheckFailed" in text  # the verdicts are there


def test_feedback_shows_math_as_mathml(graded):
    """The lessons' formulas reach each feedback page as MathML (MathToMathML), which the
    browser renders without MathJax's CDN: no TeX is left in a rendered markdown cell."""
    _, _, _, feedback = graded
    for page in feedback:
        html = page.read_text()
        assert "<math " in html and not raw_math_left(html), page


def test_verdict_logs_report_and_export(graded, tmp_path):
    course, samples, _, _ = graded
    for s in samples:
        log = json.loads((course.verdicts / s.lesson / f"{s.student}.json").read_text())
        assert log["status"] == "graded"
        assert {g for g in s.expected if g.startswith("check_")} <= set(log["cells"])
    mistakes = [s for s in samples if s.kind == "mistake"]
    text = report(course)
    for s in mistakes:
        mistake_id = s.student.rsplit("-", 1)[-1]
        assert mistake_id in text
    rows = list(csv.DictReader(open(export_csv(course, tmp_path / "grades.csv"))))
    assert {(r["student_id"], r["assignment"]) for r in rows} >= {(s.student, s.lesson) for s in samples}
