"""Lesson 07's three short questions."""

from __future__ import annotations

from ...answers import AnswerHarness
from .. import register
from ._common import LESSON


@register
class LongSequencesHarness(AnswerHarness):
    lesson = LESSON
    name = "long_sequences"
    kind = "choice"
    question = ("The objective is the sum of the log-probabilities of all sequences. Why do a few "
                "very long sequences influence it more than many short ones? (one letter)")


@register
class ObjectiveChangeHarness(AnswerHarness):
    lesson = LESSON
    name = "objective_change"
    kind = "number"
    question = ("The objective is the sum over 1,000 training sequences of log p(sequence). After "
                "one update, one sequence's log-probability rises by 2.5 and every other stays the "
                "same. By how much does the objective change? (a signed number)")


@register
class ParallelTrainingHarness(AnswerHarness):
    lesson = LESSON
    name = "parallel_training"
    kind = "choice"
    question = ("What lets a decoder-only language model compute the next-token loss at every "
                "position of a sequence in one forward pass? (one letter)")
