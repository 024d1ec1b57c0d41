"""Lesson 04 as a whole: its exercises are registered, the course's mistakes are
catalogued, the notebook path (fixtures and evidence) agrees with the trusted grader,
and the source notebook, its sample mistakes and its blocks follow the conventions."""

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
from grader.checks.catalogue.transformer_decoder import DecoderLayer as layer_catalogue
from grader.checks.catalogue.transformer_decoder import decoder_self_mask as mask_catalogue
from grader.checks.catalogue.transformer_decoder import greedy_decode as greedy_catalogue
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import get
from grader.labkit import evidence, notebook
from reference.attention import MultiHeadAttention
from reference.layers import FeedForward
from reference.tokenizer import BOS_ID, EOS_ID, PAD_ID

from ._common import LESSON, NOTEBOOK, SOLUTION, exercise_id
from .test_DecoderLayer import LayerManualAttention, LayerSDPA
from .test_greedy_decode import greedy_preallocated, greedy_rows

MISTAKE_FILES = sorted((SOLUTION / "mistakes").glob("*__*.py"))
NAMES = ("decoder_self_mask", "DecoderLayer", "cross_attention_shape", "next_token_probs",
         "teacher_forcing_passes", "greedy_decode", "greedy_decoder_calls")


def _mistake_ids(name):
    return {m.id for m in get(exercise_id(name)).entry.mistakes}


def test_lesson_lists_its_exercises():
    """The lesson's seven exercises are registered, each with a harness and a catalogue entry."""
    assert set(grader.list_exercises(LESSON)) == {exercise_id(n) for n in NAMES}


def test_catalogue_covers_the_course_list():
    """The mistakes the course names for this lesson are all catalogued."""
    assert {"ignores_padding", "no_causal_mask", "causal_transposed", "pads_queries_not_keys",
            "polarity_flipped"} <= _mistake_ids("decoder_self_mask")
    assert {"cross_kv_from_decoder", "cross_query_from_memory", "self_attention_unmasked",
            "memory_mask_ignored", "cross_before_self", "norms_shared"} <= _mistake_ids("DecoderLayer")
    assert {"softmax_over_positions", "returns_logits", "last_position_only"} <= _mistake_ids("next_token_probs")
    assert {"ignores_eos", "no_padding_after_eos", "starts_without_bos", "argmax_wrong_axis",
            "last_token_only"} <= _mistake_ids("greedy_decode")


def test_visible_and_hidden_flow_through_fixtures_and_evidence(tmp_path, monkeypatch):
    """The notebook path: visible checks against fixtures in the kernel, hidden evidence
    saved as plain tensors and judged by grader.verify in the trusted process."""
    fixtures = tmp_path / "fixtures.pt"
    torch.save(build_fixtures(LESSON), fixtures)
    monkeypatch.setattr(notebook, "fixtures_path", lambda: fixtures)
    monkeypatch.chdir(tmp_path)
    notebook.check("DecoderLayer", LayerManualAttention)
    notebook.check("greedy_decode", greedy_rows)
    with pytest.raises(notebook.CheckFailed, match="cross-attention the queries come from the decoder"):
        notebook.check("DecoderLayer", layer_catalogue.LayerCrossKVFromDecoder.fn)
    with pytest.raises(notebook.CheckFailed, match="stop only when EVERY row"):
        notebook.check("greedy_decode", greedy_catalogue.GREEDY_MISTAKES[2].fn)
    for name, candidate, mistake_id in (
            ("DecoderLayer", LayerSDPA, None), ("DecoderLayer", layer_catalogue.LayerNormsShared.fn, "norms_shared"),
            ("greedy_decode", greedy_preallocated, None),
            ("greedy_decode", greedy_catalogue.GREEDY_MISTAKES[-2].fn, "training_flag_not_restored"),
            ("decoder_self_mask", mask_catalogue.mask_pads_queries.fn, "pads_queries_not_keys"),
            ("teacher_forcing_passes", 11, "one_pass_per_prediction")):
        notebook.record(name, candidate)
        result = grader.verify(exercise_id(name), evidence.read_evidence(tmp_path, name),
                               evidence.read_seed(tmp_path))
        assert result.passed == (mistake_id is None), result.feedback
        assert result.mistake == mistake_id


def test_fixtures_stay_small():
    """The lesson's fixtures (visible cases, the reference and every mistake's outputs) stay
    under 1 MB."""
    buffer = io.BytesIO()
    torch.save(build_fixtures(LESSON), buffer)
    assert buffer.tell() < 1_000_000


# --------------------------------------------------------------------------- notebook


def _cells():
    return json.loads(NOTEBOOK.read_text())["cells"]


def _provided() -> dict[str, object]:
    """What the notebook's setup cell provides (blocks/ is a copy of these reference modules)."""
    return {"torch": torch, "nn": nn, "F": F, "math": math, "MultiHeadAttention": MultiHeadAttention,
            "FeedForward": FeedForward, "PAD_ID": PAD_ID, "BOS_ID": BOS_ID, "EOS_ID": EOS_ID}


def test_notebook_solutions_pass():
    """The source notebook's own solution cells, run in order with the provided blocks,
    pass every check, visible and hidden."""
    namespace = _provided()
    for cell in _cells():
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if cell["cell_type"] == "code" and grade_id.startswith(("ex_", "answer_")):
            exec(compile("".join(cell["source"]), grade_id, "exec"), namespace)  # noqa: S102 - our own notebook
    for name in NAMES:
        for hidden in (False, True):
            result = grader.check(exercise_id(name), namespace[name], hidden=hidden, seed=1)
            assert result.passed, (name, result.feedback)


@pytest.mark.parametrize("path", MISTAKE_FILES, ids=lambda p: p.name)
def test_mistake_notebook_cells_are_diagnosed(path):
    """Each file in solutions/04_transformer_decoder/mistakes/ is a student's solution cell
    with one catalogued mistake (named in the file name); the grader names that mistake."""
    name, mistake_id = path.stem.split("__")
    assert mistake_id in _mistake_ids(name)
    namespace = _provided()
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    for hidden, seed in ((False, None), (True, 7)):
        result = grader.check(exercise_id(name), namespace[name], hidden=hidden, seed=seed)
        assert not result.passed
        assert result.mistake == mistake_id, result.feedback


def test_there_are_mistake_cells_for_several_exercises():
    """At least three catalogued mistakes across at least three exercises have a notebook cell."""
    names = {p.stem.split("__")[0] for p in MISTAKE_FILES}
    assert len(MISTAKE_FILES) >= 3 and len(names) >= 3


def test_source_notebook_follows_the_conventions():
    """Each exercise has a solution cell and a locked, graded check cell with the exact
    source and the entry's points; grade ids are unique; no outputs; no project imports."""
    cells = _cells()
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c["metadata"]]
    assert len(ids) == len(set(ids))
    by_id = {c["metadata"]["nbgrader"]["grade_id"]: c for c in cells if "nbgrader" in c["metadata"]}
    for name in NAMES:
        check = by_id[f"check_{name}"]
        meta = check["metadata"]["nbgrader"]
        assert meta["grade"] and meta["locked"] and meta["points"] == get(exercise_id(name)).entry.points
        assert "".join(check["source"]) == (f'### BEGIN HIDDEN TESTS\nlabkit.record("{name}", {name})\n'
                                            f'### END HIDDEN TESTS\nlabkit.check("{name}", {name})')
        solution = by_id.get(f"ex_{name}") or by_id[f"answer_{name}"]
        assert solution["metadata"]["nbgrader"]["solution"]
        assert "### BEGIN SOLUTION" in "".join(solution["source"])
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "import labkit" in "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
    assert not re.search(r"^\s*(from|import)\s+(reference|grader)\b", code, re.M)
    for c in cells:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None
        if c["cell_type"] == "markdown":
            assert c["metadata"]["nbgrader"]["locked"]


def test_notebook_reveals_no_solution_outside_its_regions():
    """Outside the solution regions the notebook never calls what would give an answer away:
    the reference's mask builder, greedy decoder or decoder layer."""
    outside = []
    for c in _cells():
        text = "".join(c["source"])
        outside.append(re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", text, flags=re.S))
    text = "\n".join(outside)
    for banned in ("causal_padding_mask", "blocks.masks", "blocks.models", "blocks.layers.decoder",
                   "import DecoderLayer", "torch.tril", ".argmax(dim=-1)"):
        assert banned not in text, banned


#: What each of this lesson's solutions is called in the reference.
SOLUTION_NAMES = ("def decoder_self_mask", "def causal_padding_mask", "class DecoderLayer",
                  "def next_token_probs", "def greedy_decode")


def test_blocks_ship_no_solution_of_this_lesson():
    """blocks.txt lists reference modules, one per line; none of them (nor what they import)
    defines this lesson's solutions: the decoder self-attention mask, DecoderLayer,
    next_token_probs, greedy_decode."""
    from grader.course.blocks import closure, module_path

    names = [ln.strip() for ln in (SOLUTION / "blocks.txt").read_text().splitlines() if ln.strip()]
    assert names and all(n.startswith("reference.") for n in names)
    for n in closure([n.removeprefix("reference.") for n in names]):
        path = module_path(n)
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            source = file.read_text()
            for banned in SOLUTION_NAMES:
                assert banned not in source, (n, banned)
