"""Lesson 01, ``teacher_forced_loss``: the reference and its catalogued mistakes (trusted;
never shipped)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from reference.rnn import teacher_forced_loss

from .. import CLASS_AXIS_HINT, Entry, Requirement, mistake
from ._common import ID


def _nll(logits: Tensor, labels: Tensor) -> Tensor:
    """(B, T) negative log-likelihood, 0 where the label is -100."""
    return F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")  # (B, V, T) vs (B, T)


@mistake("pads_as_class_0", "positions labelled -100 must not contribute at all; "
         "turning -100 into class 0 (clamp, or masked_fill with 0) adds a -log p([PAD]) term at "
         "every padded position. Use ignore_index=-100 (F.cross_entropy's default), or keep only "
         "the positions where labels != -100.")
def loss_pads_as_class_0(logits, labels, reduction="sum"):
    return teacher_forced_loss(logits, labels.clamp(min=0), reduction)


@mistake("loss_over_pad_positions", "positions labelled -100 must not contribute at all; "
         "turning -100 into class 0 (clamp, or masked_fill with 0) adds a -log p([PAD]) term at "
         "every padded position. Multiply the picked log-probabilities by the mask (labels != "
         "-100), or keep only those positions, before summing.")
def loss_pads_summed(logits, labels, reduction="sum"):
    total = _nll(logits, labels.clamp(min=0)).sum()  # every position, pads as class 0
    return total if reduction == "sum" else total / (labels != -100).sum()


@mistake("always_mean", "reduction='sum' must return the SUM over real tokens, L = -sum_t log "
         "p(y_t | y_<t, c); only reduction='mean' divides by their number.")
def loss_always_mean(logits, labels, reduction="sum"):
    return teacher_forced_loss(logits, labels, "mean")


@mistake("always_sum", "reduction='mean' must divide the sum by the number of real (labelled) "
         "tokens; reduction='sum' returns the sum itself.")
def loss_always_sum(logits, labels, reduction="sum"):
    return teacher_forced_loss(logits, labels, "sum")


@mistake("mean_over_all_positions", "the mean is over the REAL target tokens (labels != -100): "
         "dividing by B * T counts the padded positions too.")
def loss_mean_all_positions(logits, labels, reduction="sum"):
    total = teacher_forced_loss(logits, labels, "sum")
    return total if reduction == "sum" else total / labels.numel()


@mistake("mean_per_sequence", "average over all real tokens of the batch at once (sum / count): "
         "a mean per sentence and then over sentences weighs each token of a short sentence "
         "more than one of a long sentence.")
def loss_mean_per_sequence(logits, labels, reduction="sum"):
    if reduction == "sum":
        return teacher_forced_loss(logits, labels, "sum")
    return (_nll(logits, labels).sum(1) / (labels != -100).sum(1)).mean()


@mistake("sum_divided_by_batch", "reduction='sum' is the plain total over every real token of "
         "the batch; dividing by the batch size gives the mean loss per sentence instead.")
def loss_sum_per_sentence(logits, labels, reduction="sum"):
    if reduction == "mean":
        return teacher_forced_loss(logits, labels, "mean")
    return teacher_forced_loss(logits, labels, "sum") / labels.shape[0]


@mistake("double_softmax", "cross-entropy (and log_softmax) take the raw logits: applying "
         "softmax first takes the softmax twice and squashes every probability towards 1/V.")
def loss_double_softmax(logits, labels, reduction="sum"):
    return teacher_forced_loss(torch.softmax(logits, dim=-1), labels, reduction)


@mistake("nll_of_probabilities", "F.nll_loss expects LOG-probabilities: take log_softmax of the "
         "logits (not softmax), or use F.cross_entropy on the logits.")
def loss_nll_probabilities(logits, labels, reduction="sum"):
    probs = torch.softmax(logits, dim=-1)
    return F.nll_loss(probs.transpose(1, 2), labels, reduction=reduction)  # (B, V, T)


@mistake("softmax_over_wrong_axis", "the distribution p(y_t | ...) is over the vocabulary: "
         "take log_softmax over the last dimension (V), not over time.")
def loss_wrong_axis(logits, labels, reduction="sum"):
    logp = torch.log_softmax(logits, dim=1)
    return F.nll_loss(logp.transpose(1, 2), labels, reduction=reduction)  # (B, V, T)


@mistake("missing_minus_sign", "L is the NEGATIVE log-likelihood, -sum_t log p(y_t | y_<t, c): "
         "log-probabilities are <= 0, so the loss must come out >= 0.")
def loss_positive(logits, labels, reduction="sum"):
    return -teacher_forced_loss(logits, labels, reduction)


@mistake("missing_log_softmax", "the logits are not log-probabilities: take log_softmax over "
         "the vocabulary before picking the label's entry (or let F.cross_entropy do it). "
         "-logit of the label ignores every other word's score.")
def loss_missing_log_softmax(logits, labels, reduction="sum"):
    keep = labels != -100  # (B, T)
    picked = logits.gather(-1, labels.clamp(min=0)[..., None])[..., 0]  # (B, T)
    total = -(picked * keep).sum()
    return total if reduction == "sum" else total / keep.sum()


@mistake("class_axis_not_last", CLASS_AXIS_HINT)
def loss_class_axis(logits, labels, reduction="sum"):
    return F.cross_entropy(logits, labels, reduction=reduction)


LOSS_MISTAKES = (loss_pads_as_class_0, loss_pads_summed, loss_always_mean, loss_always_sum,
                 loss_mean_all_positions, loss_mean_per_sequence, loss_sum_per_sentence,
                 loss_double_softmax, loss_nll_probabilities, loss_wrong_axis, loss_positive,
                 loss_missing_log_softmax, loss_class_axis)

REQUIREMENTS = (
    Requirement("positions labelled -100 count in neither the sum nor the number of tokens",
                broken_by=("pads_as_class_0", "loss_over_pad_positions",
                           "mean_over_all_positions")),
    Requirement("'sum' is the total -log p over every real target token of the batch",
                broken_by=("always_mean", "sum_divided_by_batch")),
    Requirement("'mean' divides that total by the number of real target tokens of the batch",
                broken_by=("always_sum", "mean_per_sequence", "mean_over_all_positions")),
    Requirement("log p comes from a log-softmax of the raw logits over the vocabulary (last) "
                "axis",
                broken_by=("double_softmax", "nll_of_probabilities", "softmax_over_wrong_axis",
                           "missing_log_softmax", "class_axis_not_last")),
    Requirement("the loss is the NEGATIVE log-likelihood", broken_by=("missing_minus_sign",)),
)

ENTRY = Entry(f"{ID}/teacher_forced_loss", teacher_forced_loss, LOSS_MISTAKES, points=2,
              requirements=REQUIREMENTS)
