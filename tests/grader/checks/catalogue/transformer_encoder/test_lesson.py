"""Lesson 03 as a whole: its banks of correct alternatives (``BANKS``), the course's
mistakes are catalogued, the cases hold what the mistakes need, and the candidates of the
notebook path (``FLOW``). What every lesson satisfies (a bank per exercise, its notebook,
sample mistakes, blocks, fixtures, hidden feedback) is tested once in ``test_lessons.py``."""

from __future__ import annotations

import grader.checks.engine as engine
from grader.checks.catalogue.transformer_encoder import Encoder as encoder_catalogue
from grader.checks.catalogue.transformer_encoder import EncoderLayer as layer_catalogue
from grader.checks.catalogue.transformer_encoder import TransformerEmbedding as embedding_catalogue
from grader.checks.catalogue.transformer_encoder import (
    sinusoidal_positional_encoding as pe_catalogue,
)
from grader.checks.registry import get

from . import (
    test_Encoder,
    test_EncoderLayer,
    test_FeedForward,
    test_questions,
    test_sinusoidal_positional_encoding,
    test_sublayer_connection,
    test_TransformerEmbedding,
)
from ._common import xid

#: The banks of correct alternatives of test_lessons.py, by exercise.
BANKS = {module.NAME: module.BANK for module in (
    test_sinusoidal_positional_encoding, test_TransformerEmbedding, test_FeedForward,
    test_sublayer_connection, test_EncoderLayer, test_Encoder)} | test_questions.BANK


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


#: The notebook path of test_lessons.py: visible checks that pass, visible checks that fail
#: with their hint, and hidden evidence judged by the trusted grader (None: it passes).
FLOW = {
    "checks": [("EncoderLayer", test_EncoderLayer.LayerExplicit)],
    "fails": [("EncoderLayer", layer_catalogue.LayerOneNorm.fn, "each sub-layer has its own LayerNorm"),
              ("Encoder", encoder_catalogue.StackNoFinalNorm.fn, "missing norm.bias, norm.weight")],
    "records": [("EncoderLayer", test_EncoderLayer.LayerWithConnection, None),
                ("EncoderLayer", layer_catalogue.LayerTuple.fn, "attention_output_is_a_tuple"),
                ("Encoder", encoder_catalogue.StackShared.fn, "layers_share_weights"),
                ("sinusoidal_positional_encoding", pe_catalogue.pe_odd_fails.fn, "odd_d_model_fails"),
                ("TransformerEmbedding", embedding_catalogue.EmbNoPaddingIdx.fn, "padding_idx_missing")],
}
