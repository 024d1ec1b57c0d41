"""Lesson 06's ``seq2seq_loss`` entry: the reference and the catalogued mistakes (trusted; never shipped).

``seq2seq_loss`` is deterministic: its mistakes are matched by their outputs.
"""

from __future__ import annotations

import torch.nn.functional as F

from reference.denoising import seq2seq_loss

from .. import CLASS_AXIS_HINT, Entry, Requirement, mistake
from ._common import ID


def _nll(logits, labels):
    """(B, T) negative log-likelihood, 0 at -100."""
    return F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")


@mistake("counts_ignored_positions", "positions labelled -100 (padding after each target) must "
         "not count at all; turning -100 into class 0 trains the model to predict [PAD] there. "
         "Use ignore_index=-100 (F.cross_entropy's default) or keep only labels != -100.")
def loss_ignored_as_0(logits, labels, reduction="mean"):
    v = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, v), labels.clamp(min=0).reshape(-1), reduction=reduction)


@mistake("mean_over_all_positions", "the mean is over the TARGET tokens (labels != -100), not "
         "over all B * T positions: padding must not dilute the loss.")
def loss_mean_all(logits, labels, reduction="mean"):
    total = _nll(logits, labels).sum()
    return total if reduction == "sum" else total / labels.numel()


@mistake("mean_per_sequence", "'mean' is the per-token mean over the whole batch (sum of all "
         "token losses / number of target tokens), not the mean of per-sentence means: that "
         "gives a token of a short target more weight than one of a long target.")
def loss_mean_per_sequence(logits, labels, reduction="mean"):
    nll = _nll(logits, labels)
    if reduction == "sum":
        return nll.sum()
    return (nll.sum(1) / (labels != -100).sum(1)).mean()


@mistake("sum_instead_of_mean", "reduction='mean' divides the summed loss by the number of target "
         "tokens; only reduction='sum' returns the total.")
def loss_always_sum(logits, labels, reduction="mean"):
    return _nll(logits, labels).sum()


@mistake("mean_instead_of_sum", "reduction='sum' is the book's sequence loss, the total over every "
         "target token of the batch, not the mean.")
def loss_always_mean(logits, labels, reduction="mean"):
    v = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, v), labels.reshape(-1))


@mistake("sum_averaged_over_batch", "reduction='sum' adds the losses of every target token of the "
         "whole batch; do not divide by the batch size.")
def loss_sum_per_sequence(logits, labels, reduction="mean"):
    nll = _nll(logits, labels)
    if reduction == "sum":
        return nll.sum() / labels.shape[0]
    return nll.sum() / (labels != -100).sum()


@mistake("shifted_again", "the decoder input was already shifted right by shift_right, so "
         "logits[:, t] already predicts labels[:, t]: compare them position by position, without "
         "another shift as in a causal LM.")
def loss_shifted_again(logits, labels, reduction="mean"):
    v = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, v), labels[:, 1:].reshape(-1), reduction=reduction)


@mistake("double_softmax", "F.cross_entropy applies log-softmax itself: pass the raw logits, not "
         "softmax probabilities.")
def loss_double_softmax(logits, labels, reduction="mean"):
    v = logits.shape[-1]
    return F.cross_entropy(logits.softmax(-1).reshape(-1, v), labels.reshape(-1), reduction=reduction)


@mistake("no_log_softmax", "the logits are unnormalised scores: F.nll_loss (or picking each "
         "label's entry by hand) expects LOG-probabilities, so take a log-softmax over the "
         "vocabulary first, or let F.cross_entropy do both steps.")
def loss_no_log_softmax(logits, labels, reduction="mean"):
    v = logits.shape[-1]
    return F.nll_loss(logits.reshape(-1, v), labels.reshape(-1), reduction=reduction)


@mistake("logits_labels_misaligned", "flatten logits and labels the same way: logits (B, T, V) -> "
         "(B*T, V) with reshape(-1, V), labels (B, T) -> (B*T,); transposing B and T on one side "
         "pairs each prediction with another position's label.")
def loss_misaligned(logits, labels, reduction="mean"):
    v = logits.shape[-1]
    return F.cross_entropy(logits.transpose(0, 1).reshape(-1, v), labels.reshape(-1), reduction=reduction)


@mistake("class_axis_not_last", CLASS_AXIS_HINT)
def loss_class_axis(logits, labels, reduction="sum"):
    return F.cross_entropy(logits, labels, ignore_index=-100, reduction=reduction)


REQUIREMENTS = (
    Requirement('logits (B, T, V) and labels (B, T) are aligned position by position (no extra shift)',
                broken_by=('shifted_again', 'logits_labels_misaligned')),
    Requirement('positions labelled -100 count for nothing, in the sum and in the count',
                broken_by=('counts_ignored_positions',)),
    Requirement("'sum' adds the cross-entropy of every target token",
                broken_by=('mean_instead_of_sum', 'sum_averaged_over_batch')),
    Requirement("'mean' divides that sum by the number of target tokens of the batch",
                broken_by=('sum_instead_of_mean', 'mean_over_all_positions', 'mean_per_sequence')),
    Requirement('the logits are raw scores: one log-softmax, over the vocabulary',
                broken_by=('double_softmax', 'no_log_softmax', 'class_axis_not_last')),
)


ENTRY = Entry(f"{ID}/seq2seq_loss", seq2seq_loss, (
    loss_ignored_as_0, loss_mean_all, loss_mean_per_sequence, loss_always_sum,
    loss_always_mean, loss_sum_per_sequence, loss_shifted_again, loss_double_softmax,
    loss_misaligned, loss_class_axis, loss_no_log_softmax), points=2, requirements=REQUIREMENTS)
