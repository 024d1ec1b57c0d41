"""Lesson 03 as a whole: every exercise has a bank, the course's mistakes are
catalogued, the cases hold what the mistakes need, hidden feedback leaks no input,
the notebook path (fixtures and evidence) agrees with the trusted grader, and the
source notebook, its blocks and its sample mistakes follow the conventions."""

from __future__ import annotations

import io
import math
import re

import nbformat
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import grader
import grader.checks.engine as engine
from grader.checks.catalogue.transformer_encoder import Encoder as encoder_catalogue
from grader.checks.catalogue.transformer_encoder import EncoderLayer as layer_catalogue
from grader.checks.catalogue.transformer_encoder import TransformerEmbedding as embedding_catalogue
from grader.checks.catalogue.transformer_encoder import (
    sinusoidal_positional_encoding as pe_catalogue,
)
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import get
from grader.labkit import evidence, notebook
from reference.attention import MultiHeadAttention

from . import (
    test_Encoder,
    test_EncoderLayer,
    test_FeedForward,
    test_questions,
    test_sinusoidal_positional_encoding,
    test_sublayer_connection,
    test_TransformerEmbedding,
)
from ._common import HIDDEN_SEEDS, LESSON, NOTEBOOK, SOLUTION, xid

MISTAKE_FILES = sorted((SOLUTION / "mistakes").glob("*__*.py"))
NAMES = [i.split("/", 1)[1] for i in grader.list_exercises(LESSON)]
FLOAT_EXERCISES = ("sinusoidal_positional_encoding", "TransformerEmbedding", "FeedForward",
                   "sublayer_connection", "EncoderLayer", "Encoder")


def test_every_lesson_exercise_has_a_bank():
    """The banks cover every exercise of the lesson, so none is untested."""
    banked = {module.NAME for module in (test_sinusoidal_positional_encoding, test_TransformerEmbedding,
                                         test_FeedForward, test_sublayer_connection,
                                         test_EncoderLayer, test_Encoder)}
    assert sorted(NAMES) == sorted(banked | set(test_questions.BANK))
    assert set(FLOAT_EXERCISES) == banked


def test_the_course_mistakes_are_catalogued():
    """The mistakes the course lists for this lesson are all in the catalogue."""
    wanted = {
        "sinusoidal_positional_encoding": {"sin_cos_swapped", "sin_cos_concatenated", "exponent_i_over_d"},
        "TransformerEmbedding": {"positions_not_added", "scaled_after_adding", "missing_scale"},
        "FeedForward": {"activation_after_linear2"},
        "sublayer_connection": {"missing_residual", "norm_order_swapped"},
        "EncoderLayer": {"missing_residual_attention", "norm_order_swapped", "same_norm_twice",
                         "mask_ignored"},
        "Encoder": {"final_norm_missing", "final_norm_in_post_norm", "layers_share_weights",
                    "first_layer_repeated"},
    }
    for name, ids in wanted.items():
        assert ids <= {m.id for m in get(xid(name)).entry.mistakes}, name


def _input_values(name, seed):
    ex = get(xid(name))
    shown = set()
    for case in engine.cases_for(ex, hidden=True, seed=seed):
        for key, t in case.inputs.items():
            if t.is_floating_point() and not key.startswith("param:"):
                shown.update(f"{v:.4g}" for v in t.reshape(-1)[:8].tolist())
    return shown


@pytest.mark.parametrize("name", FLOAT_EXERCISES)
def test_hidden_feedback_shows_no_input_values(name):
    """Hidden feedback names the case by its shapes only: no input value is printed."""
    seed = HIDDEN_SEEDS[0]
    values = _input_values(name, seed)
    for m in get(xid(name)).entry.mistakes:
        result = grader.check(xid(name), m.fn, hidden=True, seed=seed)
        leaked = [v for v in values if re.search(rf"(?<![\d.]){re.escape(v)}(?!\d)", result.feedback)]
        assert not leaked, (m.id, leaked, result.feedback)
        assert "a hidden case" in result.feedback


def test_cases_show_what_the_mistakes_need():
    """The cases hold what makes each mistake show: T < max_len, a vocabulary smaller than
    max_len, a pad id other than 0 next to real id-0 tokens, padding in the middle of the
    batch, an odd d_model, several heads, a layer_norm_eps other than the default."""
    for hidden in (False, True):
        pe = {c.name: c for c in engine.cases_for(get(xid("sinusoidal_positional_encoding")),
                                                  hidden=hidden, seed=4)}
        assert pe["odd d_model"].args["d_model"] % 2 == 1
        assert pe["long table"].args["max_len"] >= 48
        emb = engine.cases_for(get(xid("TransformerEmbedding")), hidden=hidden, seed=4)
        learned, sinus = (c.args["init"] for c in emb)
        assert learned["positional"] == "learned" and learned["vocab_size"] < learned["max_len"]
        ids = emb[0].inputs["input_ids"]
        assert ids.shape[1] < learned["max_len"] and (ids[1] == 0).any() and not (ids[0] == 0).any()
        ids = emb[1].inputs["input_ids"]
        assert sinus["pad_id"] != 0 and (ids == 0).any() and (ids == sinus["pad_id"]).any()
        layers = engine.cases_for(get(xid("EncoderLayer")), hidden=hidden, seed=4)
        assert {c.args["init"]["norm_first"] for c in layers} == {False, True}
        assert any(c.args["init"]["layer_norm_eps"] != 1e-5 for c in layers)
        assert all(c.args["init"]["num_heads"] > 1 for c in layers)
        mask = layers[0].inputs["mask"]
        assert mask[0].all() and not mask[1].all()  # padding in the middle of the batch
        stacks = engine.cases_for(get(xid("Encoder")), hidden=hidden, seed=4)
        assert {c.args["init"]["norm_first"] for c in stacks} == {False, True}
        assert all(c.args["init"]["num_layers"] >= 2 for c in stacks)


def test_visible_and_hidden_flow_through_fixtures_and_evidence(tmp_path, monkeypatch):
    """The notebook path: visible checks against fixtures in the kernel, hidden evidence
    saved as plain tensors and judged by grader.verify in the trusted process."""
    fixtures = tmp_path / "fixtures.pt"
    torch.save(build_fixtures(LESSON), fixtures)
    monkeypatch.setattr(notebook, "fixtures_path", lambda: fixtures)
    monkeypatch.chdir(tmp_path)
    notebook.check("EncoderLayer", test_EncoderLayer.LayerExplicit)
    with pytest.raises(notebook.CheckFailed, match="each sub-layer has its own LayerNorm"):
        notebook.check("EncoderLayer", layer_catalogue.LayerOneNorm.fn)
    with pytest.raises(notebook.CheckFailed, match="missing norm.bias, norm.weight"):
        notebook.check("Encoder", encoder_catalogue.StackNoFinalNorm.fn)
    for name, candidate, mistake_id in (
            ("EncoderLayer", test_EncoderLayer.LayerWithConnection, None),
            ("EncoderLayer", layer_catalogue.LayerTuple.fn, "attention_output_is_a_tuple"),
            ("Encoder", encoder_catalogue.StackShared.fn, "layers_share_weights"),
            ("sinusoidal_positional_encoding", pe_catalogue.pe_odd_fails.fn, "odd_d_model_fails"),
            ("TransformerEmbedding", embedding_catalogue.EmbNoPaddingIdx.fn, "padding_idx_missing")):
        notebook.record(name, candidate, lesson=LESSON)
        result = grader.verify(xid(name), evidence.read_evidence(tmp_path, name), evidence.read_seed(tmp_path))
        assert result.passed == (mistake_id is None), result.feedback
        assert result.mistake == mistake_id


def test_fixtures_stay_small():
    """The lesson's fixtures (reference and every mistake, gradients included) stay under 1 MB."""
    buffer = io.BytesIO()
    torch.save(build_fixtures(LESSON), buffer)
    assert buffer.tell() < 1_000_000


# --------------------------------------------------------------------------- notebook


def _solution_namespace():
    """The notebook's solution cells run in order, without labkit, with the provided
    blocks taken from the reference."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    ns: dict[str, object] = {"torch": torch, "nn": nn, "F": F, "math": math,
                             "MultiHeadAttention": MultiHeadAttention}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "code" and grade_id.startswith(("ex_", "answer_")):
            source = "\n".join(line for line in cell.source.splitlines() if "SOLUTION" not in line)
            exec(compile(source, grade_id, "exec"), ns)  # noqa: S102 - our own notebook
    return ns


def test_notebook_solutions_pass():
    """The source notebook's own solutions pass every check, visible and hidden."""
    ns = _solution_namespace()
    for name in NAMES:
        for hidden in (False, True):
            result = grader.check(xid(name), ns[name], hidden=hidden, seed=1)
            assert result.passed, result.feedback


def _check_exercise_cells(by_id, name):
    check = by_id[f"check_{name}"]
    meta = check.metadata["nbgrader"]
    assert meta["grade"] and meta["locked"] and not meta["solution"]
    assert meta["points"] == get(xid(name)).entry.points
    assert check.source == (f'### BEGIN HIDDEN TESTS\nlabkit.record("{name}", {name})\n'
                            f'### END HIDDEN TESTS\nlabkit.check("{name}", {name})')
    sol = by_id.get(f"ex_{name}") or by_id[f"answer_{name}"]
    assert sol.metadata["nbgrader"]["solution"] and not sol.metadata["nbgrader"]["grade"]
    assert "### BEGIN SOLUTION" in sol.source
    first = sol.source.splitlines()[0]
    assert first.startswith(("def ", "class ", f"{name} = ...")), first


def test_source_notebook_follows_the_conventions():
    """Each exercise has a solution cell and a locked, graded check cell with the exact
    source and the entry's points; grade ids are unique; no outputs; no project imports;
    markdown is locked; every solution region keeps its def/class line outside."""
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    ids = [c.metadata["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids))
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in cells if "nbgrader" in c.metadata}
    for name in NAMES:
        _check_exercise_cells(by_id, name)
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    assert "import labkit" in next(c.source for c in cells if c.cell_type == "code")
    assert not re.search(r"^\s*(from|import)\s+(reference|grader)\b", code, re.M)
    for c in cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
        else:
            assert c.metadata["nbgrader"]["locked"]


def test_blocks_are_earlier_lessons_only():
    """blocks.txt lists reference modules (dotted names) the notebook imports from blocks,
    their reference imports, and none of this lesson's solution modules."""
    from grader.course.blocks import closure
    listed = [line.strip() for line in (SOLUTION / "blocks.txt").read_text().splitlines() if line.strip()]
    assert all(m.startswith("reference.") for m in listed)
    names = {m.split(".", 1)[1] for m in listed}
    assert not names & {"embeddings", "layers"}
    assert closure(names) - {"_checks"} <= names
    code = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code")
    used = set(re.findall(r"^\s*from blocks\.(\w+) import", code, re.M))
    assert used and used <= names


def test_there_are_sample_mistakes():
    """At least three sample submissions with a known mistake, across exercises."""
    assert len(MISTAKE_FILES) >= 3
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
