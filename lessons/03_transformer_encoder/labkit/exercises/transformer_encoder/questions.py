"""Lesson 03's three short questions."""

from __future__ import annotations

from ...answers import AnswerHarness
from .. import register
from ._common import LESSON


@register
class EncoderOutputShapeHarness(AnswerHarness):
    lesson = LESSON
    name = "encoder_output_shape"
    kind = "shape"
    question = ("An encoder reads one sequence (batch size 1) of 15 tokens; its hidden size is "
                "768. What is the shape of its output?")


@register
class OrderWithoutPositionsHarness(AnswerHarness):
    lesson = LESSON
    name = "order_without_positions"
    kind = "choice"
    question = ("An encoder with no positional information (and no mask) reads the vectors of "
                "'dog bites man', then the same three vectors in the order 'man bites dog'. "
                "How do the two outputs compare? (one letter)")


@register
class SkipConnectionsHarness(AnswerHarness):
    lesson = LESSON
    name = "skip_connections"
    kind = "choice"
    question = ("Why does the gradient still reach the first layers of a deep Transformer "
                "encoder (so that the whole network can be trained and fine-tuned)? (one letter)")
