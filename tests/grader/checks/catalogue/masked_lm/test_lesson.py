"""Lesson 05 as a whole: its exercises, the size of its fixtures, the sample mistake
cells of ``solutions/05_masked_lm/mistakes/`` and the source notebook's conventions
(``docs/exercise-contract.md``)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import grader
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import get, list_exercises

from ._bank import LESSON, exercise_id

ROOT = Path(__file__).resolve().parents[5]
NOTEBOOK = ROOT / "solutions" / LESSON / f"{LESSON}.ipynb"
MISTAKE_FILES = sorted((ROOT / "solutions" / LESSON / "mistakes").glob("*.py"))


def _entries():
    """Each exercise's catalogue entry, by exercise name."""
    return {i.split("/", 1)[1]: get(i).entry for i in list_exercises(LESSON)}


def test_lesson_lists_its_exercises():
    """The lesson's six exercises are registered, each with a harness and a catalogue entry."""
    assert set(grader.list_exercises(LESSON)) == {
        exercise_id(n) for n in ("mask_tokens", "mlm_loss", "MLMHead", "mask_fraction",
                                 "loss_positions", "why_keep")}


def test_fixtures_stay_small():
    """Recorded ids are packed into the smallest integer dtype, so the lesson's fixtures
    (reference and every mistake on the large statistical cases) stay under 1 MB."""
    buffer = io.BytesIO()
    torch.save(build_fixtures(LESSON), buffer)
    assert buffer.tell() < 1_000_000


@pytest.mark.parametrize("path", MISTAKE_FILES, ids=lambda p: p.name)
def test_mistake_notebook_cells_are_diagnosed(path):
    """Each file in solutions/05_masked_lm/mistakes/ is a student's solution cell with one
    catalogued mistake (named in the file name); the grader names that mistake."""
    name, mistake_id = path.stem.split("__")
    namespace: dict = {"torch": torch, "nn": nn, "F": F}  # what the notebook's first cell imports
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    for hidden in (False, True):
        result = grader.check(exercise_id(name), namespace[name], hidden=hidden)
        assert result.mistake == mistake_id, result.feedback


def test_there_are_mistake_cells_for_several_exercises():
    """At least four catalogued mistakes across at least two exercises have a notebook cell."""
    names = {p.stem.split("__")[0] for p in MISTAKE_FILES}
    assert len(MISTAKE_FILES) >= 4 and len(names) >= 2


def _cells():
    nb = json.loads(NOTEBOOK.read_text())
    return nb["cells"]


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="source notebook not written yet")
def test_source_notebook_follows_the_conventions():
    """Each exercise has a solution cell and a locked, graded check cell with the exact
    source and the entry's points; grade ids are unique; no outputs; no project imports."""
    cells = _cells()
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c["metadata"]]
    assert len(ids) == len(set(ids))
    by_id = {c["metadata"]["nbgrader"]["grade_id"]: c for c in cells if "nbgrader" in c["metadata"]}
    for name, entry in _entries().items():
        check = by_id[f"check_{name}"]
        meta = check["metadata"]["nbgrader"]
        assert meta["grade"] and meta["locked"] and meta["points"] == entry.points
        assert "".join(check["source"]) == (f'### BEGIN HIDDEN TESTS\nlabkit.record("{name}", {name})\n'
                                            f'### END HIDDEN TESTS\nlabkit.check("{name}", {name})')
        solution = by_id.get(f"ex_{name}") or by_id[f"answer_{name}"]
        assert solution["metadata"]["nbgrader"]["solution"]
        assert "### BEGIN SOLUTION" in "".join(solution["source"])
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "import labkit" in code
    assert not re.search(r"^\s*(from|import)\s+(reference|grader)\b", code, re.M)
    for c in cells:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None
        if c["cell_type"] == "markdown":
            assert c["metadata"]["nbgrader"]["locked"]
