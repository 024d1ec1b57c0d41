"""Lesson 09's three short questions."""

from __future__ import annotations

from ...answers import AnswerHarness
from .. import register
from ._common import LESSON


@register
class UncachedTokenPassesHarness(AnswerHarness):
    lesson = LESSON
    name = "uncached_token_passes"
    kind = "int"
    question = ("A decoder-only model writes 100 new tokens after a 1-token prompt. Without a "
                "cache, the step that writes token t runs the model on its whole prefix of t "
                "tokens (t = 1 .. 100). How many token positions does it process in all? "
                "(an int)")


@register
class UniformPerplexityHarness(AnswerHarness):
    lesson = LESSON
    name = "uniform_perplexity"
    kind = "number"
    question = ("A model gives each of V = 500 tokens probability 1/500 at every position, "
                "whatever the text. What is its perplexity on any text? (a number)")


@register
class WhatBleuMeasuresHarness(AnswerHarness):
    lesson = LESSON
    name = "what_bleu_measures"
    kind = "choice"
    question = ("What does BLEU measure, and how does it relate to precision and recall? "
                "(one letter)")
