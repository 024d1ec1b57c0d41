"""Lesson 05's three short questions."""

from __future__ import annotations

from ...answers import AnswerHarness
from .. import register
from ._common import LESSON


@register
class MaskFractionHarness(AnswerHarness):
    lesson = LESSON
    name = "mask_fraction"
    kind = "number"
    question = ("BERT selects 15% of the eligible tokens and replaces 80% of the selected ones "
                "by [MASK]: what fraction of all eligible tokens become [MASK]?")


@register
class LossPositionsHarness(AnswerHarness):
    lesson = LESSON
    name = "loss_positions"
    kind = "number"
    question = ("A sentence of 20 words is encoded as [CLS] w1 ... w20 [SEP] (22 tokens). With "
                "BERT's masking, on average how many positions contribute to the MLM loss?")


@register
class WhyKeepHarness(AnswerHarness):
    lesson = LESSON
    name = "why_keep"
    kind = "choice"
    question = "Why does BERT keep 10% of the selected tokens unchanged? (one letter)"
