"""A student's JupyterLab (``python -m grader.classroom student``) on a released lesson:
what they see, Run All on the stubs, one answer typed in, Validate.

Screenshots (build/screenshots/): ``student-run-all.png`` (the lesson after Run All on the
stubs), ``student-answered.png`` (the answered exercise and its passing check),
``student-validate.png`` (Validate's dialog: each failed check's feedback, wrapped, nothing
cut off).
"""

from __future__ import annotations

import json
import re

import pytest

from grader.course.paths import LESSONS_DIR, SOLUTIONS_DIR
from tests.browser import notebook_page as nb
from tests.browser.lab import JupyterLab, copy_lesson, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSON = "02_attention"
NOTEBOOK = f"{LESSON}/{LESSON}.ipynb"
#: The exercise the student answers, and the line its solution cell starts with.
EXERCISE, STARTS = "causal_mask", "def causal_mask("
CHECK = re.compile(r'^labkit\.check\("(\w+)"')


def solution_source(starts_with: str) -> str:
    """The instructor's solution cell, as nbgrader's release would keep it, markers out."""
    source = json.loads((SOLUTIONS_DIR / LESSON / f"{LESSON}.ipynb").read_text())
    for cell in source["cells"]:
        text = "".join(cell["source"])
        if text.startswith(starts_with) and "### BEGIN SOLUTION" in text:
            return "\n".join(line for line in text.splitlines()
                             if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
    raise LookupError(starts_with)


def check_names() -> list[str]:
    """The exercises of the lesson's check cells (grade id ``check_<exercise>``)."""
    released = json.loads((LESSONS_DIR / NOTEBOOK).read_text())
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id", "") for c in released["cells"]]
    return sorted(i.removeprefix("check_") for i in ids if i.startswith("check_"))


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    """One student JupyterLab (no exchange) for this module's tests, on a scratch root."""
    base = tmp_path_factory.mktemp("student")
    lab = JupyterLab(base, "student", "--root", str(base / "root"),
                     env={"PRETRAINING_LAB_EXCHANGE": ""})
    (base / "root").mkdir()
    lab.root = base / "root"
    yield lab.start()
    lab.stop()


@pytest.fixture
def notebook(student_lab, request) -> str:
    """A fresh copy of the released lesson for this test; its path under the lab's root."""
    folder = re.sub(r"\W+", "_", request.node.name)
    copy_lesson(LESSONS_DIR / LESSON, student_lab.root / folder / LESSON)
    return f"{folder}/{NOTEBOOK}"


def test_a_student_sees_no_instructor_tool(student_lab, notebook, page):
    """No Nbgrader menu (no Formgrader, no Courses), no Create Assignment panel, no
    Assignments panel (no exchange is set); the notebook's toolbar has Validate."""
    nb.open_notebook(page, student_lab, notebook)
    assert "Nbgrader" not in nb.menu_bar(page)
    page.get_by_role("button", name="Validate").first.wait_for()
    text = page.locator("body").inner_text()
    for absent in ("Create Assignment", "Formgrader", "Error fetching courses",
                   "exchange directory does not exist"):
        assert absent not in text, absent
    assert page.locator("[title*='Create Assignment' i], [data-id*='create-assignment']").count() == 0


def test_a_student_runs_all_answers_one_exercise_and_validates(student_lab, notebook, page):
    """Run All on the stubs: every cell runs, every check fails with labkit's message,
    every widget renders. Then the solution of one exercise typed in passes its check,
    and Validate reports the remaining failures only."""
    nb.open_notebook(page, student_lab, notebook)
    ran = nb.run_all(page)
    screenshot(page, "student-run-all")
    assert all(re.fullmatch(r"\[\d+\]:", c["prompt"]) for c in ran), [c["prompt"] for c in ran]
    checks = {m.group(1): c for c in ran if (m := CHECK.match(c["source"]))}
    assert sorted(checks) == check_names(), sorted(checks)
    for name, cell in checks.items():
        assert cell["error"] and "CheckFailed" in cell["output"], (name, cell["output"][-400:])
    body = page.locator("body").inner_text()
    assert "Error displaying widget" not in body and "model not found" not in body
    assert page.locator(".jupyter-widgets").count() > 0, "no widget rendered"

    nb.replace_source(page, STARTS, solution_source(STARTS))
    nb.run_cell_and_next(page)
    now = {m.group(1): c for c in nb.cells(page) if (m := CHECK.match(c["source"]))}
    screenshot(page, "student-answered")
    assert f"\u2713 {EXERCISE}" in now[EXERCISE]["output"] and not now[EXERCISE]["error"]

    page.get_by_role("button", name="Validate").first.click()
    dialog = page.locator(".jp-Dialog-content")
    dialog.wait_for(timeout=180_000)
    page.wait_for_timeout(500)
    screenshot(page, "student-validate")
    report = dialog.inner_text()
    assert "labkit.check(\"merge_heads\"" in report, report[:2000]
    assert f"labkit.check(\"{EXERCISE}\"" not in report, report[:2000]
    # A failed check renders as its feedback alone, wrapped (labkit's CheckFailed), so
    # nbgrader's dialog, which does not wrap, cuts nothing.
    assert page.evaluate(nb.CLIPPED_JS) == [], "Validate's dialog cuts lines off"


def test_a_lesson_opens_unmodified(student_lab, notebook, page):
    """Opening a released lesson, before any edit, leaves it unmodified (no dot on its tab):
    the build wrote the language_info the kernel reports (grader.course.kernel_metadata),
    so JupyterLab has nothing to change when the kernel connects."""
    nb.open_notebook(page, student_lab, notebook)
    page.wait_for_timeout(1500)
    assert nb.cells(page) and page.evaluate(nb.DIRTY_JS) == []
