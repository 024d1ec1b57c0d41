"""Lesson 05's ``mlm_loss``: the catalogued mistakes and the entry (reference
``reference.mlm.mlm_loss``, the mean cross-entropy over the positions whose label is
not -100).
"""

from __future__ import annotations

import torch.nn.functional as F

from reference.mlm import mlm_loss

from .. import CLASS_AXIS_HINT, Entry, Requirement, mistake
from ._common import ID


@mistake("ignored_as_class_0", "positions labelled -100 must not contribute at all; turning "
         "-100 into class 0 (clamp, or masked_fill with 0) makes every unselected position a "
         "prediction of [PAD]. Use ignore_index=-100 (F.cross_entropy's default) or select the "
         "labelled positions first.")
def loss_ignored_as_class_0(logits, labels):
    v = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, v), labels.clamp(min=0).reshape(-1))  # (B*T, V), (B*T,)


@mistake("mean_over_all_positions", "average over the SELECTED positions only: dividing the sum "
         "by B * T dilutes the loss with the ~85% of positions that have no label.")
def loss_mean_over_all(logits, labels):
    v = logits.shape[-1]
    total = F.cross_entropy(logits.reshape(-1, v), labels.reshape(-1), reduction="sum")  # (B*T, V), (B*T,)
    return total / labels.numel()


@mistake("sum_instead_of_mean", "the MLM loss is the MEAN over the selected positions, so that "
         "it does not grow with the batch size or the number of masks.")
def loss_sum(logits, labels):
    v = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, v), labels.reshape(-1), reduction="sum")  # (B*T, V), (B*T,)


@mistake("double_softmax", "F.cross_entropy applies log-softmax itself: pass it the raw logits, "
         "not softmax probabilities.")
def loss_double_softmax(logits, labels):
    v = logits.shape[-1]
    return F.cross_entropy(logits.softmax(-1).reshape(-1, v), labels.reshape(-1))  # (B*T, V), (B*T,)


@mistake("nll_of_probabilities", "F.nll_loss expects LOG-probabilities: use F.log_softmax "
         "(or F.cross_entropy on the logits), not softmax.")
def loss_nll_of_probabilities(logits, labels):
    v = logits.shape[-1]
    return F.nll_loss(logits.softmax(-1).reshape(-1, v), labels.reshape(-1))  # (B*T, V), (B*T,)


#: Two variants of one mistake share its id and hint (docs/exercise-contract.md): the mean
#: per sentence, with sentences without a mask skipped or giving NaN.
MEAN_PER_SEQUENCE_HINT = (
    "average over all selected tokens of the batch at once: a mean per sentence and then over "
    "sentences weighs a token of a sentence with one mask more than a token of a sentence with "
    "many (and breaks on sentences with none: skipped, or NaN).")


@mistake("mean_per_sequence", MEAN_PER_SEQUENCE_HINT)
def loss_mean_per_sequence(logits, labels):
    nll = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")  # (B, T), 0 at -100
    count = (labels != -100).sum(1)  # (B,)
    rows = count > 0
    return (nll.sum(1)[rows] / count[rows]).mean()


@mistake("mean_per_sequence", MEAN_PER_SEQUENCE_HINT)
def loss_mean_per_sequence_nan(logits, labels):
    nll = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")  # (B, T)
    return (nll.sum(1) / (labels != -100).sum(1)).mean()


@mistake("logits_labels_misaligned", "flatten logits and labels the same way: logits (B, T, V) "
         "-> (B*T, V) with .reshape(-1, V), labels (B, T) -> (B*T,); transposing B and T on one "
         "side only pairs each prediction with another position's label.")
def loss_misaligned(logits, labels):
    v = logits.shape[-1]
    # (T*B, V) against (B*T,): each prediction paired with another position's label
    return F.cross_entropy(logits.transpose(0, 1).reshape(-1, v), labels.reshape(-1))


@mistake("class_axis_not_last", CLASS_AXIS_HINT)
def loss_class_axis(logits, labels):
    return F.cross_entropy(logits, labels)  # (B, T, V) read as V = axis 1: raises


REQUIREMENTS = (
    Requirement("positions labelled -100 contribute nothing to the loss",
                broken_by=("ignored_as_class_0",)),
    Requirement("the loss is the mean over the selected positions of the whole batch: each "
                "selected token counts once, the unselected ones not at all",
                broken_by=("mean_over_all_positions", "sum_instead_of_mean", "mean_per_sequence")),
    Requirement("logits are raw scores: exactly one log-softmax, over the vocabulary axis V",
                broken_by=("double_softmax", "nll_of_probabilities", "class_axis_not_last")),
    Requirement("logits (B, T, V) and labels (B, T) are paired position by position",
                broken_by=("logits_labels_misaligned", "class_axis_not_last")),
)


ENTRY = Entry(f"{ID}/mlm_loss", mlm_loss, (
    loss_ignored_as_class_0, loss_mean_over_all, loss_sum, loss_double_softmax,
    loss_nll_of_probabilities, loss_mean_per_sequence, loss_mean_per_sequence_nan,
    loss_misaligned, loss_class_axis), points=2, requirements=REQUIREMENTS)
