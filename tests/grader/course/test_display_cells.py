"""Display-only cells: the build-time lint (grader/course/display_cells.py), the preprocessor
that picks the cells to leave unrun (SkipDisplayCells) and SafeExecute leaving them
unrun; plus every lesson's source notebook passing the lint."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.autograde.preprocessors import SafeExecute, SkipDisplayCells
from grader.autograde.preprocessors.safe_execute import SKIPPED
from grader.course.build import check_display_cells
from grader.course.display_cells import TAG, display_sources, names, problems
from grader.course.lessons import available_lessons

LESSON = "02_attention"


def display(source: str, **meta):
    return new_code_cell(source, metadata={"tags": [TAG], **meta})


def plain(source: str, **meta):
    return new_code_cell(source, metadata=meta)


# --- names and the lint --------------------------------------------------------------------

def test_names_finds_module_level_definitions_and_free_reads():
    """Definitions are module-level binds and imports; reads are names the cell uses
    but does not define, including globals read inside its functions."""
    defined, read = names("import os\nfrom a import b as c\nx = y + 1\n"
                          "def f(arg):\n    local = arg\n    return local + z\n%matplotlib inline")
    assert defined == {"os", "c", "x", "f"}
    assert read == {"y", "z"}


def test_a_closure_variable_is_not_a_global_read():
    """A nested function's free variable is the enclosing function's local."""
    defined, read = names("def outer(memory):\n    def inner():\n        return memory\n"
                          "    return inner")
    assert defined == {"outer"} and read == set()


def test_a_clean_notebook_has_no_problems():
    """Display cells may read anything; nothing else reads what only they define."""
    cells = [plain("import torch\nx = torch.ones(2)"), display("import matplotlib.pyplot as plt"),
             display("plt.plot(x)\nfig = 1"), plain("y = x * 2")]
    assert problems(cells) == []


def test_a_name_defined_only_by_a_display_cell_and_read_elsewhere_is_a_problem():
    """Leaving the display cell unrun would make the later cell fail."""
    cells = [display("model = train()"), plain("def use():\n    return model.eval()")]
    found = problems(cells)
    assert len(found) == 1 and "'model'" in found[0] and "cell 2" in found[0]


def test_a_name_also_defined_by_a_graded_path_is_fine():
    """A name the display cell redefines is still defined when it is skipped."""
    cells = [plain("model = None"), display("model = train()"), plain("print(model)")]
    assert problems(cells) == []


@pytest.mark.parametrize("flag", ["grade", "solution"])
def test_a_tagged_grade_or_solution_cell_is_a_problem(flag):
    """Exercises, questions and tests must always run."""
    cell = display("answer = 3", nbgrader={"grade_id": "q", flag: True})
    assert "grade or solution" in problems([cell])[0]


def test_build_refuses_a_notebook_with_problems(tmp_path):
    """check_display_cells raises a ValueError naming the cell and the name."""
    path = tmp_path / "x.ipynb"
    nbformat.write(new_notebook(cells=[display("data = 1"), plain("data + 1")]), str(path))
    with pytest.raises(ValueError, match="'data'"):
        check_display_cells(path)


@pytest.mark.parametrize("lesson", available_lessons())
def test_every_lesson_source_notebook_passes_the_lint(lesson):
    """Every lesson's display-only cells can be left unrun without changing a grade."""
    from grader.course.paths import SOLUTIONS_DIR

    nb = nbformat.read(str(SOLUTIONS_DIR / lesson / f"{lesson}.ipynb"), as_version=4)
    assert problems(nb.cells) == []


# --- SkipDisplayCells ------------------------------------------------------------------------

def source_course(tmp_path, cells):
    folder = tmp_path / "source" / LESSON
    folder.mkdir(parents=True)
    nbformat.write(new_notebook(cells=cells), str(folder / f"{LESSON}.ipynb"))
    return tmp_path


def resources():
    return {"nbgrader": {"student": "s", "assignment": LESSON, "notebook": LESSON}}


def test_only_unchanged_display_cells_of_the_source_are_skipped(tmp_path):
    """Matching is on the instructor's source: an edited display cell runs, a student's
    own tag counts for nothing, and grade or solution cells never skip."""
    root = source_course(tmp_path, [plain("setup()"), display("plot(1)"), display("plot(2)"),
                                    display("answer = 1")])
    submitted = new_notebook(cells=[
        plain("setup()"),
        plain("plot(1)\n"),                       # 1: unchanged but for white space -> skip
        plain("plot(2, big=True)"),               # 2: edited -> runs
        display("my_code()"),                      # 3: the student's own tag -> runs
        plain("answer = 1", nbgrader={"grade_id": "q", "solution": True}),  # 4: solution -> runs
        new_markdown_cell("plot(1)"),              # 5: not code
    ])
    _, res = SkipDisplayCells(course_root=str(root)).preprocess(submitted, resources())
    assert res["lab_skip_cells"] == {1}


def test_disabled_or_without_a_source_every_cell_runs(tmp_path):
    """enabled=False, or a course without the source notebook, skips nothing."""
    root = source_course(tmp_path, [display("plot(1)")])
    nb = new_notebook(cells=[plain("plot(1)")])
    _, res = SkipDisplayCells(course_root=str(root), enabled=False).preprocess(nb, resources())
    assert res["lab_skip_cells"] == set()
    _, res = SkipDisplayCells(course_root=str(tmp_path / "none")).preprocess(nb, resources())
    assert res["lab_skip_cells"] == set()


def test_display_sources_normalises_white_space():
    nb = new_notebook(cells=[display("  plot()\n\n"), plain("x = 1")])
    assert display_sources(nb) == {"plot()"}


def test_safe_execute_leaves_skipped_cells_unrun_and_runs_the_rest(tmp_path):
    """A real kernel (no sandbox): the skipped cell, which would fail, is not run and
    says so; the cells around it run."""
    nb = new_notebook(cells=[plain("x = 20"), plain("raise RuntimeError('ran')"),
                             plain("print(x + 1)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    res = {**resources(), "metadata": {"path": str(tmp_path)}, "lab_skip_cells": {1}}
    ex = SafeExecute(timeout=60)
    ex.config.Sandbox.unsafe_no_sandbox = True
    nb, res = ex.preprocess(nb, res)
    assert [o["text"] for o in nb.cells[1].outputs] == [SKIPPED]
    assert nb.cells[2].outputs[0]["text"] == "21\n"
    assert res["lab_faults"] == []
