"""Lesson 07's ``sequence_log_prob`` entry: the reference (``reference.objectives``) and the
catalogued mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reference.objectives import sequence_log_prob

from .. import CLASS_AXIS_HINT, Entry, Requirement, mistake
from ._common import ID, SUM_OVER_VOCAB, _one_hot_mean, _picked, _token_log_probs


@mistake("no_log_softmax", "the logits are unnormalised scores, not log-probabilities: take "
         "F.log_softmax(logits, dim=-1) first, then pick each target's entry.")
def slp_no_log_softmax(logits, targets, ignore_index=-100):
    return _picked(logits, targets, ignore_index).sum(-1)


@mistake("product_of_probabilities", "the chain rule multiplies probabilities, but the function "
         "returns LOG p(y): add up the log-probabilities (a product of many numbers below 1 "
         "underflows to 0 for long sequences).")
def slp_product(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    probs = torch.softmax(logits, dim=-1).gather(-1, targets.masked_fill(~keep, 0).unsqueeze(-1)).squeeze(-1)
    return torch.where(keep, probs, torch.ones_like(probs)).prod(-1)


@mistake("log_softmax_wrong_axis", "normalise over the vocabulary (the last axis, V): each "
         "position's scores become a distribution over the next token, dim=-1.")
def slp_wrong_axis(logits, targets, ignore_index=-100):
    return _picked(F.log_softmax(logits, dim=1), targets, ignore_index).sum(-1)


@mistake("ignore_index_hardcoded", "use the ignore_index argument: the positions to skip are "
         "those equal to ignore_index, which is not always -100.")
def slp_hardcoded(logits, targets, ignore_index=-100):
    return _token_log_probs(logits, targets, -100).sum(-1)


@mistake("ignored_positions_counted", "positions whose target is ignore_index must add nothing: "
         "replacing them by a real id (0) makes them count as predictions of that token. Zero "
         "their log-probabilities (torch.where(keep, lp, 0)) before the sum.")
def slp_counted(logits, targets, ignore_index=-100):
    safe = targets.masked_fill(targets == ignore_index, 0)
    return F.log_softmax(logits, dim=-1).gather(-1, safe.unsqueeze(-1)).squeeze(-1).sum(-1)


@mistake("ignore_index_not_handled", "targets equal to ignore_index (e.g. -100) are not ids: "
         "replace them by any valid id before gather (targets.masked_fill(~keep, 0)) and zero "
         "those positions afterwards.")
def slp_not_handled(logits, targets, ignore_index=-100):
    return F.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1).sum(-1)


@mistake("returns_nll", "return the log-probability log p(y), which is <= 0; the loss (its "
         "negative) comes later, in dataset_nll.")
def slp_returns_nll(logits, targets, ignore_index=-100):
    return -_token_log_probs(logits, targets, ignore_index).sum(-1)


@mistake("mean_instead_of_sum", "by the chain rule log p(y) is the SUM of the log-probabilities "
         "of its tokens, not their mean.")
def slp_mean(logits, targets, ignore_index=-100):
    lp = _token_log_probs(logits, targets, ignore_index)
    return lp.sum(-1) / (targets != ignore_index).sum(-1).clamp(min=1)


@mistake("mean_over_vocab", SUM_OVER_VOCAB)
def slp_mean_over_vocab(logits, targets, ignore_index=-100):
    return _one_hot_mean(logits, targets, ignore_index).sum(-1)


@mistake("summed_over_batch", "return one log-probability per sequence, shape (B,): sum over "
         "the time axis only (dim=-1), not over the whole batch.")
def slp_summed_over_batch(logits, targets, ignore_index=-100):
    return _token_log_probs(logits, targets, ignore_index).sum()


@mistake("shifted_again", "logits and targets arrive already aligned (logits[:, t] scores "
         "targets[:, t]): do not shift them here; the shift belongs to causal_lm_loss.")
def slp_shifted(logits, targets, ignore_index=-100):
    return _token_log_probs(logits[:, :-1], targets[:, 1:], ignore_index).sum(-1)

@mistake("class_axis_not_last", CLASS_AXIS_HINT)
def slp_class_axis(logits, targets, ignore_index=-100):
    nll = F.cross_entropy(logits, targets, ignore_index=ignore_index, reduction="none")
    return -nll.sum(-1)


REQUIREMENTS = (
    Requirement('log p(y) is the SUM of the log-probabilities of the targets (chain rule), one value per sequence',
                broken_by=('mean_instead_of_sum', 'product_of_probabilities', 'summed_over_batch')),
    Requirement('log-probabilities come from a log-softmax over the vocabulary axis',
                broken_by=('no_log_softmax', 'log_softmax_wrong_axis', 'mean_over_vocab', 'class_axis_not_last')),
    Requirement('targets equal to ignore_index add nothing; ignore_index is the argument',
                broken_by=('ignore_index_not_handled', 'ignored_positions_counted', 'ignore_index_hardcoded')),
    Requirement('it returns the log-probability (negative), not the NLL',
                broken_by=('returns_nll',)),
    Requirement('logits and targets are already aligned: no shift',
                broken_by=('shifted_again',)),
)


ENTRY = Entry(f"{ID}/sequence_log_prob", sequence_log_prob, (
    slp_no_log_softmax, slp_product, slp_wrong_axis, slp_hardcoded, slp_counted,
    slp_not_handled, slp_returns_nll, slp_mean, slp_mean_over_vocab, slp_summed_over_batch,
    slp_shifted, slp_class_axis), points=2, requirements=REQUIREMENTS)
