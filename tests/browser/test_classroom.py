"""The classroom through the browser: nbgrader's exchange as tests/grader/test_exchange_round_trip.py
sets it up, with a student's and an instructor's JupyterLab from the launcher.

One test, in steps (each course build and autograde is too slow to repeat per test):

1. Alice's JupyterLab (``classroom student --exchange``): the Nbgrader menu offers the
   Assignments panel only (no Formgrader, no Courses), which shows no error; the panel lists the released lesson, *Fetch* brings it, *Submit*
   sends it back (answered on disk in between). Bob submits his stubs with nbgrader's command.
2. The instructor collects, autogrades and releases feedback (``pretraining-lab``).
3. The instructor's JupyterLab (``classroom instructor``): Formgrader lists both
   submissions with their scores; its view of Alice's submission shows the lesson's
   formulas as MathML.
4. Alice fetches her feedback in the panel; the feedback page renders her score, holds
   no hidden test and shows the formulas as MathML.

The browser reaches nothing but the local servers (MathJax's CDN included): the formulas
render offline, as MathML the browser lays out itself.

Screenshots (build/screenshots/): ``classroom-1-released.png``, ``classroom-1-submitted.png``,
``classroom-3-formgrader.png``, ``classroom-3-submission.png``, ``classroom-4-feedback.png``.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader.course.directory import Course
from grader.course.paths import COURSE_ID
from grader.course.samples import notebook_cells
from tests.browser import notebook_page as nb
from tests.browser.lab import JupyterLab, screenshot
from tests.grader.data import dev_lesson
from tests.grader.sandbox_support import require_bwrap
from tests.grader.test_exchange_round_trip import run_cli, student_nbgrader

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSON = dev_lesson.LESSON
PANEL = "#nbgrader-assignment-list"


@pytest.fixture
def classroom(tmp_path):
    """A course released to an exchange: (course, exchange folder, base folder)."""
    require_bwrap()
    solutions, root, exchange = tmp_path / "solutions", tmp_path / "course", tmp_path / "exchange"
    dev_lesson.write(solutions)
    exchange.mkdir(mode=0o777)
    run_cli("build", "--course", str(root), "--solutions", str(solutions))
    with open(root / "nbgrader_config.py", "a") as fh:
        fh.write(f"c.Exchange.root = {str(exchange)!r}\n")
    run_cli("release", "--course", str(root), "--solutions", str(solutions), "--exchange")
    return Course(root), exchange, tmp_path


@pytest.fixture
def labs():
    """JupyterLab servers started by a test, all stopped at its end."""
    started: list[JupyterLab] = []
    yield started
    for lab in started:
        lab.stop()


def open_assignments(page, lab) -> None:
    page.goto(lab.link("lab?reset"))
    page.wait_for_selector(".lm-MenuBar-item", timeout=60_000)
    assert nb.menu_items(page, "Nbgrader") == ["Assignment List"]  # no Formgrader, no Courses
    nb.menu(page, "Nbgrader", "Assignment List")
    page.locator(PANEL).wait_for(timeout=30_000)


def panel_button(page, label: str):
    return page.locator(PANEL).get_by_role("button", name=label, exact=True).first


def fetch_and_submit(page, lab, course: Course, work) -> None:
    """Step 1: the Assignments panel fetches the lesson, then submits it, answered."""
    open_assignments(page, lab)
    panel_button(page, "Fetch").wait_for(timeout=30_000)
    screenshot(page, "classroom-1-released")
    text = page.locator("body").inner_text()
    assert "Error fetching" not in text and "does not exist" not in text, text[:1000]
    panel_button(page, "Fetch").click()
    fetched = work / LESSON / f"{LESSON}.ipynb"
    panel_button(page, "Submit").wait_for(timeout=60_000)
    assert fetched.is_file(), list(work.rglob("*"))
    source = nbformat.read(str(course.source / LESSON / f"{LESSON}.ipynb"), as_version=4)
    answered = notebook_cells.fill(nbformat.read(str(fetched), as_version=4),
                                   notebook_cells.solution_sources(source))
    nbformat.write(answered, str(fetched))
    panel_button(page, "Submit").click()
    page.locator(PANEL).get_by_text(re.compile(r"\d{4}-\d\d-\d\d")).first.wait_for(
        timeout=60_000)
    screenshot(page, "classroom-1-submitted")


def formgrader_scores(page, lab) -> str:
    """Step 3: Formgrader's submissions of the lesson, as the instructor sees them."""
    page.goto(lab.link("lab?reset"))
    page.wait_for_selector(".lm-MenuBar-item", timeout=60_000)
    nb.menu(page, "Nbgrader", "Formgrader")
    frame = page.frame_locator("iframe").first
    frame.get_by_role("link", name=LESSON).first.wait_for(timeout=60_000)
    frame.locator("a[href*='manage_submissions']").first.click()
    table = frame.locator("table")
    table.get_by_text("alice").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    screenshot(page, "classroom-3-formgrader")
    return table.first.inner_text()


def offline(page) -> None:
    """Let the page reach the local servers only (no MathJax from a CDN)."""
    page.route(re.compile(r"^(?!http://127\.0\.0\.1[:/])"), lambda route: route.abort())


def assert_mathml_shown(page) -> None:
    """The page's formulas are MathML elements the browser lays out as math (display math
    as a block), with no TeX left for MathJax."""
    page.locator("math").first.wait_for(timeout=30_000)
    assert page.locator("math").count() >= 2
    shown = page.evaluate("""() => {
        const block = document.querySelector('math[display="block"]');
        return [block.namespaceURI, getComputedStyle(block).display,
                block.getBoundingClientRect().height > 0];
    }""")
    assert shown == ["http://www.w3.org/1998/Math/MathML", "block math", True], shown
    assert "$" not in page.locator("body").inner_text()


def formgrader_submission(page, lab, course: Course) -> None:
    """Step 3, on: Formgrader's view of Alice's submission shows the formulas as MathML."""
    with Gradebook(course.db_url, COURSE_ID) as gb:
        submission = gb.find_submission_notebook(LESSON, LESSON, "alice").id
    offline(page)
    page.goto(lab.link(f"formgrader/submissions/{submission}/"))
    assert_mathml_shown(page)
    screenshot(page, "classroom-3-submission")


def score_pattern(course: Course, student: str) -> str:
    """``score / maximum`` as nbgrader shows them (``4 / 4``, ``4.0 / 4.0``)."""
    with Gradebook(course.db_url, COURSE_ID) as gb:
        sub = gb.find_submission(LESSON, student)
        score, maximum = sub.score, sub.max_score
    assert maximum > 0 and (score == maximum) == (student == "alice"), (student, score, maximum)
    return rf"{score:g}(\.0+)? / {maximum:g}(\.0+)?"


def test_fetch_submit_grade_formgrader_and_feedback(classroom, labs, page, browser):
    course, exchange, base = classroom
    offline(page)
    work = base / "alice-work"
    alice = JupyterLab(base / "alice", "student", "--exchange", str(exchange), "--student",
                       "alice", "--root", str(work))
    labs.append(alice.start())
    fetch_and_submit(page, alice, course, work)
    bob = base / "home-bob"
    bob.mkdir()
    student_nbgrader(bob, "bob", exchange, "fetch_assignment")
    student_nbgrader(bob, "bob", exchange, "submit")

    run_cli("collect", "--course", str(course.root))
    run_cli("autograde", "--course", str(course.root), "--workers", "2", "--no-progress",
            "--quiet")
    run_cli("feedback", "--course", str(course.root), "--release")

    instructor = JupyterLab(base / "instructor", "instructor", "--course", str(course.root))
    labs.append(instructor.start())
    scores = formgrader_scores(browser.new_page(viewport={"width": 1400, "height": 900}),
                               instructor)
    rows = {cells[1]: cells for line in scores.splitlines()
            if len(cells := line.split("\t")) > 4}
    for student in ("alice", "bob"):  # the Score column: the gradebook's score / maximum
        assert re.fullmatch(score_pattern(course, student), rows[student][4]), (student, scores)
    formgrader_submission(browser.new_page(viewport={"width": 1400, "height": 900}), instructor,
                          course)

    open_assignments(page, alice)
    panel_button(page, "Fetch Feedback").click()
    pages = []
    for _ in range(60):
        pages = list(work.glob(f"{LESSON}/feedback/*/{LESSON}.html"))
        if pages:
            break
        page.wait_for_timeout(500)
    assert len(pages) == 1, list(work.rglob("*.html"))
    page.goto(alice.link(f"files/{pages[0].relative_to(work).as_posix()}"))
    page.get_by_text("Score:").first.wait_for(timeout=30_000)
    screenshot(page, "classroom-4-feedback")
    html = page.content()
    assert re.search("Score: " + score_pattern(course, "alice"), page.locator("body").inner_text())
    assert "BEGIN HIDDEN TESTS" not in html and "labkit.record" not in html
    assert_mathml_shown(page)
