"""Lesson 10's short questions."""

from __future__ import annotations

from ...answers import AnswerHarness
from .. import register
from ._common import LESSON


@register
class MaxInputTokensHarness(AnswerHarness):
    lesson = LESSON
    name = "max_input_tokens"
    kind = "int"
    question = "the most tokens ([CLS] and [SEP] included) one BERT input may hold"


@register
class ConcatFeatureSizeHarness(AnswerHarness):
    lesson = LESSON
    name = "concat_feature_size"
    kind = "int"
    question = ("the length of one token's feature vector when BERT-base's last four layers "
                "(hidden size 768) are concatenated")


@register
class PairScoringCostHarness(AnswerHarness):
    lesson = LESSON
    name = "pair_scoring_cost"
    kind = "int"
    question = ("how many forward passes a sentence-pair classifier needs to score every pair of "
                "10,000 sentences (each unordered pair once)")


@register
class FinetuneRecipeHarness(AnswerHarness):
    lesson = LESSON
    name = "finetune_recipe"
    kind = "choice"
    question = "the fine-tuning settings of the BERT paper"


@register
class LittleDataHarness(AnswerHarness):
    lesson = LESSON
    name = "little_data"
    kind = "choice"
    question = "what to do with a few hundred labelled examples"


@register
class FeaturesOrFinetuneHarness(AnswerHarness):
    lesson = LESSON
    name = "features_or_finetune"
    kind = "choice"
    question = "when to extract features instead of fine-tuning"


@register
class TaskTypesHarness(AnswerHarness):
    lesson = LESSON
    name = "task_types"
    kind = "choice"
    question = "the tasks a pre-trained BERT encoder is fine-tuned for with a small head"
