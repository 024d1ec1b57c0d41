"""Lesson 07 (the training objective) as a whole: its exercises, the short answers, the
mistakes the course names, the notebook path through fixtures and evidence, the source
notebook and its sample mistakes, and the blocks it ships."""

from __future__ import annotations

import math
import re

import nbformat
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import grader
from grader.checks.catalogue.objective.causal_lm_loss import clm_no_shift
from grader.checks.catalogue.objective.train_step import ts_clip_after_step, ts_no_zero_grad
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import get
from grader.labkit import evidence, notebook

from ._common import LESSON, NOTEBOOK, SOLUTION, entries, xid
from .test_dataset_nll import nll_builtin_reductions
from .test_train_step import ts_manual_clip, ts_zero_grad_at_end

EXERCISES = ("sequence_log_prob", "dataset_nll", "causal_lm_loss", "train_step")
CORRECT_ANSWERS = {"long_sequences": ["b", " B "], "objective_change": [2.5, 2.50, 5 / 2, 2.5000001],
                   "parallel_training": ["b", "B"]}
QUESTIONS = tuple(CORRECT_ANSWERS)


def test_lesson_lists_its_exercises():
    """The lesson's exercises are registered, each with a harness and a catalogue entry."""
    assert grader.list_exercises(LESSON) == sorted(xid(n) for n in (*EXERCISES, *QUESTIONS))


@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in CORRECT_ANSWERS.items() for a in answers])
def test_correct_answers_pass(name, answer):
    """Right answers pass however they are written (2.5 or 5/2, 'b' or ' B ')."""
    for hidden in (False, True):
        assert grader.check(xid(name), answer, hidden=hidden).passed


def test_the_mistakes_the_course_names_are_catalogued():
    """The mistakes the lesson plan names are all in the catalogue."""
    ids = {name: {m.id for m in e.mistakes} for name, e in entries().items()}
    assert {"no_log_softmax", "log_softmax_wrong_axis", "ignored_positions_counted",
            "mean_instead_of_sum", "mean_over_vocab"} <= ids["sequence_log_prob"]
    assert {"padding_counted", "sum_divided_by_batch", "mean_not_divided",
            "mean_over_vocab"} <= ids["dataset_nll"]
    assert {"no_shift", "shift_wrong_direction", "padding_counted", "sum_instead_of_mean",
            "softmax_wrong_axis", "no_log_softmax"} <= ids["causal_lm_loss"]
    assert {"step_before_backward", "no_zero_grad", "clip_after_step", "clipping_not_applied",
            "returns_before_update"} <= ids["train_step"]


def test_visible_and_hidden_flow_through_fixtures_and_evidence(tmp_path, monkeypatch):
    """The notebook path: visible checks against fixtures in the kernel, hidden evidence
    saved as plain tensors and judged by grader.verify in the trusted process."""
    fixtures = tmp_path / "fixtures.pt"
    torch.save(build_fixtures(LESSON), fixtures)
    monkeypatch.setattr(notebook, "fixtures_path", lambda: fixtures)
    monkeypatch.chdir(tmp_path)
    notebook.check("train_step", ts_zero_grad_at_end)
    with pytest.raises(notebook.CheckFailed, match="clip the gradients BEFORE"):
        notebook.check("train_step", ts_clip_after_step.fn)
    for name, candidate, mistake_id in (
            ("train_step", ts_manual_clip, None),
            ("train_step", ts_no_zero_grad.fn, "no_zero_grad"),
            ("causal_lm_loss", clm_no_shift.fn, "no_shift"),
            ("dataset_nll", nll_builtin_reductions, None)):
        notebook.record(name, candidate)
        result = grader.verify(xid(name), evidence.read_evidence(tmp_path, name),
                               evidence.read_seed(tmp_path))
        assert result.passed == (mistake_id is None), result.feedback
        assert result.mistake == mistake_id


# =========================================================================== notebook


def _cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def _solution_namespace():
    """The notebook's solution cells run in order, without labkit."""
    ns: dict[str, object] = {"torch": torch, "nn": nn, "F": F, "math": math}
    for cell in _cells():
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "code" and grade_id.startswith(("ex_", "answer_")):
            exec(compile(cell.source, grade_id, "exec"), ns)  # noqa: S102 - our own notebook
    return ns


MISTAKE_FILES = sorted((SOLUTION / "mistakes").glob("*__*.py"))


def test_there_are_sample_mistakes():
    """At least four sample solution cells with a known mistake, across three exercises."""
    assert len(MISTAKE_FILES) >= 4
    assert len({p.stem.split("__")[0] for p in MISTAKE_FILES}) >= 3


@pytest.mark.parametrize("path", MISTAKE_FILES, ids=lambda p: p.stem)
def test_sample_mistake_is_diagnosed(path):
    """Each sample solution cell, run with the notebook's other solutions, is diagnosed
    as the mistake its file name says, visible and hidden."""
    name, mistake_id = path.stem.split("__")
    assert mistake_id in {m.id for m in get(xid(name)).entry.mistakes}
    ns = _solution_namespace()
    exec(compile(path.read_text(), str(path), "exec"), ns)  # noqa: S102 - our own sample
    for hidden in (False, True):
        result = grader.check(xid(name), ns[name], hidden=hidden, seed=7)
        assert not result.passed
        assert result.mistake == mistake_id, result.feedback


def test_notebook_solutions_pass():
    """The source notebook's own solutions (and answers) pass every check."""
    ns = _solution_namespace()
    for name in (*EXERCISES, *QUESTIONS):
        for hidden in (False, True):
            result = grader.check(xid(name), ns[name], hidden=hidden, seed=1)
            assert result.passed, result.feedback


def test_source_notebook_follows_the_conventions():
    """Each exercise has a solution cell and a locked, graded check cell with the exact
    source and the entry's points; grade ids are unique; no outputs; no project imports;
    reference.objectives and reference.training never ship as blocks."""
    cells = _cells()
    ids = [c.metadata["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids))
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in cells if "nbgrader" in c.metadata}
    for name, entry in entries().items():
        check = by_id[f"check_{name}"]
        meta = check.metadata["nbgrader"]
        assert meta["grade"] and meta["locked"] and meta["points"] == entry.points
        assert check.source == (f'### BEGIN HIDDEN TESTS\nlabkit.record("{name}", {name})\n'
                                f'### END HIDDEN TESTS\nlabkit.check("{name}", {name})')
        solution = by_id.get(f"ex_{name}") or by_id[f"answer_{name}"]
        assert solution.metadata["nbgrader"]["solution"]
        assert "### BEGIN SOLUTION" in solution.source
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    assert "import labkit" in code
    assert not re.search(r"^\s*(from|import)\s+(reference|grader)\b", code, re.M)
    assert not re.search(r"\bblocks\.(objectives|training)\b", code)
    for c in cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
        if c.cell_type == "markdown":
            assert c.metadata["nbgrader"]["locked"]
    from grader.course.lessons import lesson_blocks

    assert not {"objectives", "training"} & set(lesson_blocks(LESSON))


def test_blocks_ship_without_this_lessons_solutions(tmp_path):
    """The listed blocks copy cleanly (every reference import listed) and hold neither
    reference.objectives nor train_step."""
    from grader.course.blocks import copy_blocks
    from grader.course.lessons import lesson_blocks

    dest = copy_blocks(lesson_blocks(LESSON), tmp_path / "blocks", withheld=("objectives", "training"))
    shipped = {p.relative_to(dest).as_posix() for p in dest.rglob("*.py")}
    assert "objectives.py" not in shipped and "training.py" not in shipped
    assert not any("def train_step" in p.read_text() for p in dest.rglob("*.py"))
