"""Lesson 04's three short questions."""

from __future__ import annotations

from ...answers import AnswerHarness
from .. import register
from ._common import LESSON


@register
class CrossAttentionShapeHarness(AnswerHarness):
    lesson = LESSON
    name = "cross_attention_shape"
    kind = "shape"
    question = ("A decoder layer with 4 heads reads a batch of 2 target prefixes of 7 tokens and "
                "an encoder memory of 12 source tokens: what is the shape of its cross-attention "
                "weights?")


@register
class TeacherForcingPassesHarness(AnswerHarness):
    lesson = LESSON
    name = "teacher_forcing_passes"
    kind = "int"
    question = ("With teacher forcing, how many forward passes of the decoder does it take to "
                "compute the loss of one training pair whose target is <s> y1 ... y10 </s>?")


@register
class GreedyDecoderCallsHarness(AnswerHarness):
    lesson = LESSON
    name = "greedy_decoder_calls"
    kind = "int"
    question = ("Greedy decoding of one sentence returns <s> a b c </s> (it stopped at </s>). "
                "How many times was model.decode called?")
