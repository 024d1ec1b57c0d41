"""Lesson 10's ``token_tagging_loss``: the catalogued mistakes and the entry (reference
``reference.bert.token_tagging_loss``; peer ``BertForTokenClassification``'s loss)."""

from __future__ import annotations

import torch.nn.functional as F

from reference.bert import token_tagging_loss

from .. import CLASS_AXIS_HINT, Entry, Requirement, mistake
from ._common import ID


def _flat(logits, labels):
    c = logits.shape[-1]
    return logits.reshape(-1, c), labels.reshape(-1)  # (B*T, C), (B*T,)


@mistake("ignored_as_class_0", "positions labelled -100 get no prediction at all; turning -100 "
         "into tag 0 (clamp, masked_fill) trains [CLS], [SEP] and padding to predict tag 0. Keep "
         "ignore_index=-100, or select the labelled positions first.")
def tag_clamped(logits, labels):
    return F.cross_entropy(*_flat(logits, labels.clamp(min=0)))


@mistake("mean_over_all_positions", "average over the LABELLED tokens only: dividing the sum by "
         "B * T counts every -100 position in the denominator.")
def tag_mean_all(logits, labels):
    return F.cross_entropy(*_flat(logits, labels), reduction="sum") / labels.numel()


@mistake("sum_instead_of_mean", "the loss is the MEAN over the labelled tokens, so that it does "
         "not grow with the batch or the sentences' lengths.")
def tag_sum(logits, labels):
    return F.cross_entropy(*_flat(logits, labels), reduction="sum")


@mistake("mean_per_sentence", "average over all labelled tokens of the batch at once: a mean per "
         "sentence, then over sentences, weighs a token of a short sentence more than one of a "
         "long sentence.")
def tag_per_sentence(logits, labels):
    nll = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")  # (B, T)
    return (nll.sum(1) / (labels != -100).sum(1)).mean()


@mistake("class_axis_not_last", CLASS_AXIS_HINT)
def tag_class_axis(logits, labels):
    return F.cross_entropy(logits, labels)


@mistake("double_softmax", "F.cross_entropy applies log-softmax itself: give it the raw "
         "logits, not softmax probabilities.")
def tag_double_softmax(logits, labels):
    return F.cross_entropy(*_flat(logits.softmax(-1), labels))


MISTAKES = (tag_clamped, tag_mean_all, tag_sum, tag_per_sentence, tag_class_axis, tag_double_softmax)

REQUIREMENTS = (
    Requirement("positions labelled -100 contribute nothing",
                broken_by=("ignored_as_class_0", "mean_over_all_positions")),
    Requirement("the mean is over all labelled tokens of the batch",
                broken_by=("sum_instead_of_mean", "mean_per_sentence")),
    Requirement("the cross-entropy reads (B, T, C) logits per token, raw",
                broken_by=("class_axis_not_last", "double_softmax")),
)

ENTRY = Entry(f"{ID}/token_tagging_loss", token_tagging_loss, MISTAKES, points=1, requirements=REQUIREMENTS)
