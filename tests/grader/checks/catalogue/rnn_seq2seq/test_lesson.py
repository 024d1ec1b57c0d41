"""Lesson 01 as a whole: its exercises, the short questions' accepted answers, the
mistakes the lesson plan names, the notebook path through fixtures and evidence, the
sample mistake cells and the source notebook's conventions."""

from __future__ import annotations

import io
import json
import math
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import grader
from grader.checks.catalogue.rnn_seq2seq.RNNDecoder import DecoderNoContext
from grader.checks.catalogue.rnn_seq2seq.RNNEncoder import EncoderPaddingUpdates
from grader.checks.catalogue.rnn_seq2seq.teacher_forcing_batch import tf_no_shift
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import get
from grader.labkit import evidence, notebook
from reference.tokenizer import PAD_ID

from ._common import LESSON, MISTAKE_FILES, NOTEBOOK, ROOT, exercise_id
from .test_context_vector import context_python_rows
from .test_RNNDecoder import DecoderInlined
from .test_RNNEncoder import EncoderPerSentence

CORRECT_ANSWERS = {"context_shape": [(4, 768), [4, 768], torch.Size([4, 768])],
                   "decoder_inputs": ["b", " B "], "rnn_drawback": ["b", "B"]}


def _entries():
    return {i.split("/", 1)[1]: get(i).entry for i in grader.list_exercises(LESSON)}


def test_lesson_lists_its_exercises():
    """The lesson's eight exercises are registered, each with a harness and a catalogue entry."""
    assert set(grader.list_exercises(LESSON)) == {
        exercise_id(n) for n in ("RNNEncoder", "context_vector", "RNNDecoder",
                                 "teacher_forcing_batch", "teacher_forced_loss", "context_shape",
                                 "decoder_inputs", "rnn_drawback")}


@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in CORRECT_ANSWERS.items()
                                         for a in answers], ids=str)
def test_correct_answers_pass(name, answer):
    """Right answers pass whichever way they are written ((4, 768) or [4, 768], 'b' or ' B ')."""
    for hidden in (False, True):
        assert grader.check(exercise_id(name), answer, hidden=hidden).passed


def test_catalogue_covers_the_mistakes_the_course_names():
    """The mistakes the lesson plan names are all in the catalogue."""
    ids = {name: {m.id for m in e.mistakes} for name, e in _entries().items()}
    assert {"forgets_previous_state", "padding_updates_state", "padding_resets_state"} <= ids["RNNEncoder"]
    assert {"last_ignores_padding", "mean_includes_padding"} <= ids["context_vector"]
    assert {"ignores_context", "context_not_fed_each_step"} <= ids["RNNDecoder"]
    assert {"no_shift", "loss_over_pad_positions"} <= ids["teacher_forcing_batch"]
    assert {"loss_over_pad_positions", "always_mean", "always_sum", "double_softmax",
            "nll_of_probabilities"} <= ids["teacher_forced_loss"]


def test_visible_and_hidden_flow_through_fixtures_and_evidence(tmp_path, monkeypatch):
    """The notebook path: visible checks against fixtures in the kernel, hidden evidence
    saved as plain tensors and judged by grader.verify in the trusted process."""
    fixtures = tmp_path / "fixtures.pt"
    torch.save(build_fixtures(LESSON), fixtures)
    monkeypatch.setattr(notebook, "fixtures_path", lambda: fixtures)
    monkeypatch.chdir(tmp_path)
    notebook.check("RNNEncoder", EncoderPerSentence)
    with pytest.raises(notebook.CheckFailed, match="keep the previous state"):
        notebook.check("RNNEncoder", EncoderPaddingUpdates.fn)
    for name, candidate, mistake_id in (
            ("RNNDecoder", DecoderInlined, None),
            ("RNNDecoder", DecoderNoContext.fn, "ignores_context"),
            ("teacher_forcing_batch", tf_no_shift.fn, "no_shift"),
            ("context_vector", context_python_rows, None)):
        notebook.record(name, candidate)
        result = grader.verify(exercise_id(name), evidence.read_evidence(tmp_path, name),
                               evidence.read_seed(tmp_path))
        assert result.passed == (mistake_id is None), result.feedback
        assert result.mistake == mistake_id


def test_fixtures_stay_small():
    """The lesson's fixtures (reference and every mistake on the visible cases) stay small."""
    buffer = io.BytesIO()
    torch.save(build_fixtures(LESSON), buffer)
    assert buffer.tell() < 300_000


#: Names the notebook's first cell defines, which a solution cell may use.
NOTEBOOK_NAMES = {"torch": torch, "nn": nn, "F": F, "math": math, "PAD_ID": PAD_ID}


@pytest.mark.parametrize("path", MISTAKE_FILES, ids=lambda p: p.name)
def test_mistake_notebook_cells_are_diagnosed(path):
    """Each file in solutions/01_rnn_seq2seq/mistakes/ is a student's solution cell with one
    catalogued mistake (named in the file name); the grader names that mistake."""
    name, mistake_id = path.stem.split("__")
    namespace = dict(NOTEBOOK_NAMES)
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    for hidden in (False, True):
        result = grader.check(exercise_id(name), namespace[name], hidden=hidden)
        assert result.mistake == mistake_id, result.feedback


def test_there_are_mistake_cells_for_several_exercises():
    """At least three catalogued mistakes across at least three exercises have a notebook cell."""
    names = {p.stem.split("__")[0] for p in MISTAKE_FILES}
    assert len(MISTAKE_FILES) >= 3 and len(names) >= 3


def _cells():
    return json.loads(NOTEBOOK.read_text())["cells"]


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


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="source notebook not written yet")
def test_blocks_list_ships_no_solution_of_this_lesson():
    """blocks.txt names reference modules, one per line, never reference.rnn (the lesson's
    own solutions), and the notebook imports only blocks that are listed."""
    listed = (ROOT / "solutions" / LESSON / "blocks.txt").read_text().split()
    assert listed and all(m.startswith("reference.") for m in listed)
    assert "reference.rnn" not in listed
    code = "\n".join("".join(c["source"]) for c in _cells() if c["cell_type"] == "code")
    for module in re.findall(r"^\s*from blocks\.([\w.]+) import", code, re.M):
        assert f"reference.{module}" in listed


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="source notebook not written yet")
def test_mistake_files_are_the_notebook_cells_with_one_change():
    """A mistake file keeps everything of its solution cell outside the solution region
    (class line, docstrings, the given __init__), as the demo pastes it into the cell."""
    by_id = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
             for c in _cells() if "nbgrader" in c["metadata"]}
    for path in MISTAKE_FILES:
        name = path.stem.split("__")[0]
        source = by_id[f"ex_{name}"]
        given = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", source, flags=re.S)
        text = path.read_text()
        for line in given.splitlines():
            assert line.rstrip() in text, (path.name, line)
