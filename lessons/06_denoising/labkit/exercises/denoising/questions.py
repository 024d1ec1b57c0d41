"""Lesson 06's three short questions."""

from __future__ import annotations

from ...answers import AnswerHarness
from .. import register
from ._common import LESSON


@register
class PerTokenLossHarness(AnswerHarness):
    lesson = LESSON
    name = "per_token_loss"
    kind = "choice"
    question = ("Why is the denoising loss a sum (or mean) of one cross-entropy term per target "
                "token rather than one score for the whole reconstructed sentence? (one letter)")


@register
class InfillingHidesHarness(AnswerHarness):
    lesson = LESSON
    name = "infilling_hides"
    kind = "choice"
    question = ("What does text infilling (one [MASK] per span) hide from the model that token "
                "masking does not? (one letter)")


@register
class T5TargetSentinelsHarness(AnswerHarness):
    lesson = LESSON
    name = "t5_target_sentinels"
    kind = "int"
    question = ("T5 span corruption of a 40-token body with noise_density 0.15 and "
                "mean_span_length 3: how many sentinel tokens do the targets hold under this "
                "lesson's rule (the paper's figure: one per span and a final one)?")
