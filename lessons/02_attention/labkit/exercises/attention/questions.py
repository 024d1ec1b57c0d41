"""Lesson 02's three short questions: the attention weights' shape, how their memory grows
with T, and which mask a decoder's self-attention needs."""

from __future__ import annotations

from ...answers import AnswerHarness
from .. import register
from ._common import LESSON


@register
class AttentionWeightsShapeHarness(AnswerHarness):
    lesson = LESSON
    name = "attention_weights_shape"
    kind = "shape"
    question = ("q has shape (2, 8, 10, 64) and k has shape (2, 8, 12, 64): what is the shape "
                "of the attention weights?")


@register
class WeightsMemoryGrowthHarness(AnswerHarness):
    lesson = LESSON
    name = "weights_memory_growth"
    kind = "number"
    question = ("In self-attention, how many times more memory does the weights tensor take "
                "when the sequence length T doubles?")


@register
class DecoderSelfAttentionMaskHarness(AnswerHarness):
    lesson = LESSON
    name = "decoder_self_attention_mask"
    kind = "choice"
    question = ("Which mask does a decoder's self-attention need so that, trained on whole "
                "sentences at once, each position predicts the next token without seeing it? "
                "a) a padding mask only, b) a causal mask (lower triangle, diagonal included), "
                "c) an upper-triangular mask, d) no mask")
