"""Lesson 11's four short questions."""

from __future__ import annotations

from ...answers import AnswerHarness
from .. import register
from ._common import LESSON


@register
class ElectraEveryPositionHarness(AnswerHarness):
    lesson = LESSON
    name = "electra_every_position"
    kind = "choice"
    question = "why ELECTRA's discriminator learns from every position of the input"


@register
class PrefixSeesHarness(AnswerHarness):
    lesson = LESSON
    name = "prefix_sees"
    kind = "choice"
    question = "what a prefix language model's prefix tokens attend to"


@register
class WhyTSquaredHarness(AnswerHarness):
    lesson = LESSON
    name = "why_t_squared"
    kind = "choice"
    question = "why the soft distillation loss is multiplied by T squared"


@register
class CheaperBertHarness(AnswerHarness):
    lesson = LESSON
    name = "cheaper_bert"
    kind = "choice"
    question = "how to make a BERT model cheaper to run at inference time"
