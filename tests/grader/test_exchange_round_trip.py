"""The classroom round trip through nbgrader's own exchange, with two student homes.

The instructor releases with ``pretraining-lab release --exchange``; each student, in a home
of their own, runs nbgrader's own ``fetch_assignment`` and ``submit`` (what JupyterLab's
Assignments panel runs); the instructor collects, autogrades with the course's pipeline and
releases feedback; each student fetches it. The exchange folder is the instructor's setting
in ``nbgrader_config.py``, kept through a rebuild.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader import cli
from grader.autograde.results import cell_scores
from grader.course.directory import Course
from grader.course.paths import COURSE_ID
from grader.course.samples import notebook_cells
from tests.grader.autograde.preprocessors.test_math_to_mathml import raw_math_left
from tests.grader.data import dev_lesson
from tests.grader.sandbox_support import require_bwrap

pytestmark = pytest.mark.slow

LESSON = dev_lesson.LESSON


def student_nbgrader(home: Path, student: str, exchange: Path, *args: str) -> str:
    """nbgrader's own command, as a student runs it in their home (own HOME, own cache)."""
    env = {**os.environ, "HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, LESSON, f"--course={COURSE_ID}",
         f"--Exchange.root={exchange}", f"--CourseDirectory.student_id={student}"],
        cwd=home, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"nbgrader {args} as {student}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def run_cli(*args: str) -> None:
    """``pretraining-lab`` in this process; it must succeed."""
    assert cli.main(list(args)) == 0, args


#: What the instructor gives Bob by hand in Formgrader (it writes these gradebook fields).
MANUAL_SCORE, MANUAL_COMMENT = 1.0, "Good start: the scaling is right, finish the softmax."


def formgrader_marks(course: Course) -> None:
    """Give Bob's first graded cell a manual score and his first answer a comment, as
    Formgrader does."""
    with Gradebook(course.db_url, COURSE_ID) as gb:
        sub = gb.find_submission(LESSON, "bob")
        grade = sub.notebooks[0].grades[0]
        grade.manual_score = MANUAL_SCORE
        sub.notebooks[0].comments[0].manual_comment = MANUAL_COMMENT
        gb.db.commit()


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    require_bwrap()
    base = tmp_path_factory.mktemp("exchange")
    solutions, root, exchange = base / "solutions", base / "course", base / "exchange"
    dev_lesson.write(solutions)
    exchange.mkdir(mode=0o777)
    course_args = ["--course", str(root)]
    run_cli("build", *course_args, "--solutions", str(solutions))
    with open(root / "nbgrader_config.py", "a") as fh:
        fh.write(f"c.Exchange.root = {str(exchange)!r}\n")
    run_cli("release", *course_args, "--solutions", str(solutions), "--exchange")
    course = Course(root)
    source = nbformat.read(str(course.source / LESSON / f"{LESSON}.ipynb"), as_version=4)
    homes = {}
    for student in ("alice", "bob"):
        home = homes[student] = base / f"home-{student}"
        home.mkdir()
        student_nbgrader(home, student, exchange, "fetch_assignment")
        if student == "alice":  # bob submits the stubs as fetched
            path = home / LESSON / f"{LESSON}.ipynb"
            nb = nbformat.read(str(path), as_version=4)
            nbformat.write(notebook_cells.fill(nb, notebook_cells.solution_sources(source)),
                           str(path))
        student_nbgrader(home, student, exchange, "submit")
    run_cli("collect", *course_args)
    run_cli("autograde", *course_args, "--workers", "2", "--no-progress", "--quiet")
    formgrader_marks(course)
    run_cli("autograde", *course_args, "--force", "--no-progress", "--quiet")
    run_cli("feedback", *course_args, "--release")
    for student, home in homes.items():
        student_nbgrader(home, student, exchange, "fetch_feedback")
    return course, homes


def test_the_exchange_setting_survives_a_rebuild(round_trip):
    """The instructor's c.Exchange.root is still in nbgrader_config.py after the build that
    release --exchange ran, and the lesson reached the exchange through it."""
    course, _ = round_trip
    assert "c.Exchange.root" in course.config_path.read_text()
    assert course.config().Exchange.root


def test_both_students_are_graded_as_deserved(round_trip):
    """Alice's answers score full marks and Bob's stubs 0 (but for the cell the instructor
    marked by hand), graded from what the exchange delivered, with no fault and no note:
    the shipped files came back as expected."""
    course, _ = round_trip
    release = nbformat.read(str(course.release_dir / LESSON / f"{LESSON}.ipynb"), as_version=4)
    full = notebook_cells.test_cells(release)
    with Gradebook(course.db_url, COURSE_ID) as gb:
        marked = gb.find_submission(LESSON, "bob").notebooks[0].grades[0].name
    bob = {**dict.fromkeys(full, 0.0), marked: MANUAL_SCORE}  # Formgrader's mark overrides
    for student, expected in (("alice", full), ("bob", bob)):
        log = json.loads((course.verdicts / LESSON / f"{student}.json").read_text())
        assert log["faults"] == [] and log["notes"] == [], (student, log)
        assert cell_scores(course, student, LESSON) == expected, student


def test_each_student_fetches_their_own_feedback(round_trip):
    """fetch_feedback brings each student the HTML of their own graded notebook, which
    shows the verdicts and holds no hidden test."""
    _, homes = round_trip
    pages = {s: list((home / LESSON / "feedback").rglob(f"{LESSON}.html"))
             for s, home in homes.items()}
    assert all(len(found) == 1 for found in pages.values()), pages
    alice, bob = (pages[s][0].read_text() for s in ("alice", "bob"))
    for html in (alice, bob):
        assert "labkit.record" not in html and "BEGIN HIDDEN TESTS" not in html
    assert f"Score: {MANUAL_SCORE} / 3.0" in bob and "NotImplementedError" in bob
    assert "Score: 3.0 / 3.0" in alice and "FAILED" not in alice


def test_feedback_shows_math_as_mathml(round_trip):
    """The lesson's formulas reach each student's feedback as MathML (MathToMathML, set on
    the course's HTML exporter), which needs no MathJax from a CDN: no TeX is left."""
    _, homes = round_trip
    for home in homes.values():
        (page,) = (home / LESSON / "feedback").rglob(f"{LESSON}.html")
        html = page.read_text()
        assert html.count("<math ") == 2 and 'display="block"' in html, page
        assert not raw_math_left(html), page


def test_formgrader_marks_survive_a_regrade(round_trip):
    """A manual score and comment given in Formgrader are still there after
    `pretraining-lab autograde --force` graded the submission again, and reach Bob."""
    course, homes = round_trip
    with Gradebook(course.db_url, COURSE_ID) as gb:
        notebook = gb.find_submission(LESSON, "bob").notebooks[0]
        assert notebook.grades[0].manual_score == MANUAL_SCORE
        assert notebook.comments[0].manual_comment == MANUAL_COMMENT
    (page,) = (homes["bob"] / LESSON / "feedback").rglob(f"{LESSON}.html")
    assert MANUAL_COMMENT in page.read_text()
