"""Lesson 07's ``dataset_nll`` entry: the reference (``reference.objectives``) and the
catalogued mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reference.objectives import dataset_nll

from .. import CLASS_AXIS_HINT, Entry, Requirement, mistake
from ._common import ID, SUM_OVER_VOCAB, _one_hot_mean, _picked, _token_log_probs


def _nll(logits, targets, reduction, *, per_token=None, count_padding=False, vocab_mean=False,
         swap=None, ignore_index=-100):
    """A configurable dataset NLL: each mistake below turns one switch."""
    if per_token is None:
        if vocab_mean:
            per_token = -_one_hot_mean(logits, targets, ignore_index)
        else:
            per_token = -_token_log_probs(logits, targets, ignore_index)
    keep = targets != ignore_index
    per_sequence = per_token.sum(-1)  # (B,)
    counts = keep.sum(-1)  # (B,)
    if count_padding:
        counts = torch.full_like(counts, targets.shape[1])
    b = targets.shape[0]
    if swap is not None:
        reduction = swap.get(reduction, reduction)
    if reduction == "sum":
        return per_sequence.sum()
    if reduction == "mean":
        return per_sequence.sum() / b
    if reduction == "token_mean":
        return per_sequence.sum() / counts.sum()
    if reduction == "length_normalized":
        return (per_sequence / counts).mean()
    raise ValueError(reduction)


@mistake("returns_log_likelihood", "the NLL is MINUS the log-likelihood: a loss to minimise, "
         "always >= 0.")
def nll_sign(logits, targets, reduction="sum", ignore_index=-100):
    return -_nll(logits, targets, reduction)


@mistake("no_log_softmax", "the logits are unnormalised scores: take F.log_softmax(logits, "
         "dim=-1) before picking each target's entry.")
def nll_no_log_softmax(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, per_token=-_picked(logits, targets))


@mistake("padding_counted", "positions labelled -100 are padding, not tokens: they must add "
         "nothing to the NLL (and not count as tokens).")
def nll_padding_counted(logits, targets, reduction="sum", ignore_index=-100):
    keep = targets != -100
    safe = targets.masked_fill(~keep, 0)
    per_token = -F.log_softmax(logits, dim=-1).gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    every = torch.zeros_like(targets)  # nothing ignored: padding counts as tokens of id 0
    return _nll(logits, every, reduction, per_token=per_token)


@mistake("sum_divided_by_batch", "reduction='sum' is the book's objective itself: the total "
         "NLL of all sequences, not divided by anything.")
def nll_sum_divided(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, swap={"sum": "mean"})


@mistake("mean_not_divided", "reduction='mean' is the total NLL divided by the number of "
         "sequences B.")
def nll_mean_not_divided(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, swap={"mean": "sum"})


@mistake("mean_per_token_for_mean", "reduction='mean' is per SEQUENCE: divide the total by the "
         "number of sequences B, not by the number of tokens ('token_mean' does that).")
def nll_mean_is_token_mean(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, swap={"mean": "token_mean"})


@mistake("token_mean_divided_by_batch", "reduction='token_mean' divides the total by the number "
         "of real tokens (targets != -100), not by the number of sequences.")
def nll_token_mean_by_batch(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, swap={"token_mean": "mean"})


@mistake("token_count_includes_padding", "count the real tokens only (targets != -100): with B * T "
         "the padding dilutes the per-token NLL.")
def nll_token_count_padding(logits, targets, reduction="sum", ignore_index=-100):
    if reduction == "token_mean":
        return _nll(logits, targets, reduction, count_padding=True)
    return _nll(logits, targets, reduction)


@mistake("length_normalized_is_token_mean", "'length_normalized' first divides EACH sequence's "
         "NLL by its own length, then averages over sequences, so that every sequence weighs "
         "the same; the total divided by all tokens is 'token_mean'.")
def nll_length_norm_token_mean(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, swap={"length_normalized": "token_mean"})


@mistake("length_normalized_by_padded_length", "divide each sequence's NLL by ITS number of real "
         "tokens (targets != -100 in that row), not by the padded length T.")
def nll_length_norm_padded(logits, targets, reduction="sum", ignore_index=-100):
    if reduction == "length_normalized":
        return _nll(logits, targets, reduction, count_padding=True)
    return _nll(logits, targets, reduction)


@mistake("mean_over_vocab", SUM_OVER_VOCAB)
def nll_mean_over_vocab(logits, targets, reduction="sum", ignore_index=-100):
    return _nll(logits, targets, reduction, vocab_mean=True)

@mistake("class_axis_not_last", CLASS_AXIS_HINT)
def nll_class_axis(logits, targets, reduction="sum", ignore_index=-100):
    return F.cross_entropy(logits, targets, ignore_index=ignore_index, reduction="sum")


@mistake("ignore_index_hardcoded", "use the ignore_index argument: the padded positions are those "
         "equal to ignore_index, which is not always -100 (here it is an id of the vocabulary, "
         "so with -100 fixed in the code the padding is scored as real tokens).")
def nll_ignore_hardcoded(logits, targets, reduction="sum", ignore_index=-100):
    return dataset_nll(logits, targets, reduction=reduction, ignore_index=-100)


REQUIREMENTS = (
    Requirement("the NLL is minus the sum of the targets' log-probabilities",
                broken_by=('returns_log_likelihood',)),
    Requirement('log-probabilities come from a log-softmax over the vocabulary',
                broken_by=('no_log_softmax', 'mean_over_vocab', 'class_axis_not_last')),
    Requirement('ignored (padding) targets count for nothing, in sums and in counts',
                broken_by=('padding_counted', 'token_count_includes_padding')),
    Requirement('the ignored targets are those equal to ignore_index, the argument (not a fixed -100)',
                broken_by=('ignore_index_hardcoded',)),
    Requirement("'sum' is the total over the dataset",
                broken_by=('sum_divided_by_batch',)),
    Requirement("'mean' divides the total by the number of sequences",
                broken_by=('mean_not_divided', 'mean_per_token_for_mean')),
    Requirement("'token_mean' divides the total by the number of real target tokens",
                broken_by=('token_mean_divided_by_batch',)),
    Requirement("'length_normalized' averages each sequence's per-token NLL over the sequences",
                broken_by=('length_normalized_is_token_mean', 'length_normalized_by_padded_length')),
)


# ignore_index_hardcoded comes before padding_counted: on the case with another ignore_index
# both count the padding, and the first match is named (compare.matching_mistake).
ENTRY = Entry(f"{ID}/dataset_nll", dataset_nll, (
    nll_sign, nll_no_log_softmax, nll_ignore_hardcoded, nll_padding_counted, nll_sum_divided,
    nll_mean_not_divided, nll_mean_is_token_mean, nll_token_mean_by_batch,
    nll_token_count_padding, nll_length_norm_token_mean, nll_length_norm_padded,
    nll_mean_over_vocab, nll_class_axis), points=3, requirements=REQUIREMENTS)
