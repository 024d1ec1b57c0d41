"""Run All goes on past a failed check: the build tags the cells that may raise."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.course.lessons import available_lessons
from grader.course.paths import LESSONS_DIR
from grader.course.run_all import RAISES_TAG, may_raise, tag_raising_cells


def _cell(grade_id: str | None = None, solution: bool = False, kind: str = "code"):
    cell = new_code_cell("x = 1") if kind == "code" else new_markdown_cell("text")
    if grade_id:
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "solution": solution,
                                     "grade": grade_id.startswith("check_")}
    return cell


def test_check_and_solution_cells_are_tagged_once() -> None:
    """Check, solution and display-only cells get the tag, other cells do not; a second pass
    adds nothing and keeps the cell's own tags."""
    nb = new_notebook(cells=[_cell(), _cell("check_f"), _cell("ex_f", solution=True),
                             _cell("answer_q", solution=True), _cell("setup"),
                             _cell("md", kind="markdown"), _cell()])
    nb.cells[1].metadata["tags"] = ["mine"]
    nb.cells[6].metadata["tags"] = ["display-only"]
    assert tag_raising_cells(nb) == 4
    assert [RAISES_TAG in c.metadata.get("tags", []) for c in nb.cells] == [
        False, True, True, True, False, False, True]
    assert nb.cells[1].metadata["tags"] == ["mine", RAISES_TAG]
    assert tag_raising_cells(nb) == 0


@pytest.mark.parametrize("lesson", available_lessons())
def test_released_lessons_carry_the_tag(lesson: str) -> None:
    """In every committed lesson, each check cell and each solution cell is tagged, so a
    student's Run All reaches the end of a fresh notebook."""
    nb = nbformat.read(str(LESSONS_DIR / lesson / f"{lesson}.ipynb"), as_version=4)
    cells = [c for c in nb.cells if may_raise(c)]
    assert cells, lesson
    untagged = [c.get("id") for c in cells
                if RAISES_TAG not in c.metadata.get("tags", [])]
    assert not untagged


@pytest.mark.slow
def test_run_all_on_a_fresh_lesson_reaches_the_last_cell(tmp_path) -> None:
    """Executed as JupyterLab's Run All does (stop at an error unless the cell is tagged),
    the released stubs of lesson 02 run to the end: every code cell gets run, and the checks
    fail as not implemented."""
    lesson = "02_attention"
    folder = tmp_path / lesson
    shutil.copytree(LESSONS_DIR / lesson, folder)
    nb = nbformat.read(str(folder / f"{lesson}.ipynb"), as_version=4)
    NotebookClient(nb, timeout=120, allow_errors=False,
                   resources={"metadata": {"path": str(folder)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors and all(c.metadata.get("tags") for c in code
                          if any(o.output_type == "error" for o in c.outputs))
    failed = [o for o in errors if o.ename == "CheckFailed"]
    assert failed and not any("labkit" in line for o in failed for line in o.traceback)
