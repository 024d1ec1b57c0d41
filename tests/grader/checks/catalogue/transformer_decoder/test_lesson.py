"""Lesson 04 as a whole: the course's mistakes are catalogued, the candidates of the
notebook path (``FLOW``), and what the notebook and its blocks must never reveal of this
lesson's solutions. What every lesson satisfies (its notebook, sample mistakes, blocks,
fixtures) is tested once in ``test_lessons.py``."""

from __future__ import annotations

import json
import re

from grader.checks.catalogue.transformer_decoder import DecoderLayer as layer_catalogue
from grader.checks.catalogue.transformer_decoder import decoder_self_mask as mask_catalogue
from grader.checks.catalogue.transformer_decoder import greedy_decode as greedy_catalogue
from grader.checks.registry import get

from . import (
    test_decoder_self_mask,
    test_DecoderLayer,
    test_greedy_decode,
    test_next_token_probs,
    test_questions,
)
from ._common import NOTEBOOK, SOLUTION, exercise_id
from .test_DecoderLayer import LayerManualAttention, LayerSDPA
from .test_greedy_decode import greedy_preallocated, greedy_rows

NAMES = ("decoder_self_mask", "DecoderLayer", "cross_attention_shape", "next_token_probs",
         "teacher_forcing_passes", "greedy_decode", "greedy_decoder_calls")


def _mistake_ids(name):
    return {m.id for m in get(exercise_id(name)).entry.mistakes}


def test_catalogue_covers_the_course_list():
    """The mistakes the course names for this lesson are all catalogued."""
    assert {"ignores_padding", "no_causal_mask", "causal_transposed", "pads_queries_not_keys",
            "polarity_flipped"} <= _mistake_ids("decoder_self_mask")
    assert {"cross_kv_from_decoder", "cross_query_from_memory", "self_attention_unmasked",
            "memory_mask_ignored", "cross_before_self", "norms_shared"} <= _mistake_ids("DecoderLayer")
    assert {"softmax_over_positions", "returns_logits", "last_position_only"} <= _mistake_ids("next_token_probs")
    assert {"ignores_eos", "no_padding_after_eos", "starts_without_bos", "argmax_wrong_axis",
            "last_token_only"} <= _mistake_ids("greedy_decode")


def _greedy(mistake_id):
    """The catalogued greedy_decode mistake of that id."""
    return next(m.fn for m in greedy_catalogue.GREEDY_MISTAKES if m.id == mistake_id)


#: The notebook path of test_lessons.py: visible checks that pass, a visible check that fails
#: with its hint, and hidden evidence judged by the trusted grader (None: it passes).
FLOW = {
    "checks": [("DecoderLayer", LayerManualAttention), ("greedy_decode", greedy_rows)],
    "fails": [("DecoderLayer", layer_catalogue.LayerCrossKVFromDecoder.fn,
               "cross-attention the queries come from the decoder"),
              ("greedy_decode", _greedy("stops_at_first_eos"), "stop only when EVERY row")],
    "records": [("DecoderLayer", LayerSDPA, None), ("DecoderLayer", layer_catalogue.LayerNormsShared.fn, "norms_shared"),
                ("greedy_decode", greedy_preallocated, None),
                ("greedy_decode", _greedy("training_flag_not_restored"), "training_flag_not_restored"),
                ("decoder_self_mask", mask_catalogue.mask_pads_queries.fn, "pads_queries_not_keys"),
                ("teacher_forcing_passes", 11, "one_pass_per_prediction")],
}


# --------------------------------------------------------------------------- notebook


def _cells():
    return json.loads(NOTEBOOK.read_text())["cells"]


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


def test_blocks_define_none_of_the_reference_solutions():
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


#: The banks of correct alternatives (and right answers) of test_lessons.py, by exercise.
BANKS = {m.NAME: m.BANK for m in (test_decoder_self_mask, test_DecoderLayer, test_next_token_probs,
                                  test_greedy_decode)} | test_questions.CORRECT_ANSWERS
