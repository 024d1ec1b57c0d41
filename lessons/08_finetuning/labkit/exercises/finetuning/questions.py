"""Lesson 08's three short questions."""

from __future__ import annotations

from ...answers import AnswerHarness
from .. import register
from ._common import LESSON


@register
class PooledShapeHarness(AnswerHarness):
    lesson = LESSON
    name = "pooled_shape"
    kind = "shape"
    question = ("a batch of 8 sentences of 15 tokens each goes through an encoder with hidden "
                "size 768: the shape of what the classification head reads ([CLS] pooling)")


@register
class WhyClsHarness(AnswerHarness):
    lesson = LESSON
    name = "why_cls"
    kind = "choice"
    question = "why the hidden state of [CLS] can summarise a whole sentence"


@register
class TwoStagesHarness(AnswerHarness):
    lesson = LESSON
    name = "two_stages"
    kind = "choice"
    question = "what each of the two data sets is used for in pre-training and fine-tuning"
