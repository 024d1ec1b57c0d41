"""Lesson 06's ``shift_right`` and ``seq2seq_loss`` mistakes (trusted; never shipped).

Both are deterministic: their mistakes are matched by their outputs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.labkit.exercises.denoising import COMMON_HINTS
from reference.denoising import shift_right

from .. import mistake


# --------------------------------------------------------------------------- shift_right
@mistake("no_start_token", "the decoder's first input is start_id (<s>): it is what the decoder "
         "reads before predicting the first label. Put start_id in column 0, not pad_id.")
def shift_pad_first(labels, start_id, pad_id):
    out = torch.full_like(labels, pad_id)
    out[:, 1:] = labels[:, :-1]
    return out.masked_fill(out == -100, pad_id)


@mistake("keeps_ignore_index", "-100 is a label meaning 'no loss here', not a token: an embedding "
         "cannot look it up. Replace every -100 in the decoder input by pad_id.")
def shift_keeps_minus_100(labels, start_id, pad_id):
    out = torch.empty_like(labels)
    out[:, 0] = start_id
    out[:, 1:] = labels[:, :-1]
    return out


@mistake("shifted_left", "shift to the RIGHT: position t of the decoder reads the label of "
         "position t-1 (start_id at position 0), so it never sees the token it must predict.")
def shift_left(labels, start_id, pad_id):
    out = torch.full_like(labels, pad_id)
    out[:, :-1] = labels[:, 1:]
    return out.masked_fill(out == -100, pad_id)


@mistake("not_shifted", "the decoder input is the labels moved one step to the right behind "
         "start_id: [start_id, y_0, ..., y_{T-2}]. Unshifted, each position would read the very "
         "token it must predict.")
def shift_none(labels, start_id, pad_id):
    return labels.masked_fill(labels == -100, pad_id)


@mistake("start_overwrites_first_label", "do not overwrite the first label with start_id: move "
         "every label one step right (y_0 goes to position 1) and drop the last one.")
def shift_overwrite(labels, start_id, pad_id):
    out = labels.masked_fill(labels == -100, pad_id)
    out[:, 0] = start_id
    return out


@mistake("keeps_last_label", "the decoder input has the labels' length T: after prepending "
         "start_id, drop the last label (labels[:, :-1]).")
def shift_too_long(labels, start_id, pad_id):
    start = torch.full((labels.shape[0], 1), start_id, dtype=labels.dtype)
    out = torch.cat([start, labels], dim=1)
    return out.masked_fill(out == -100, pad_id)


@mistake("pads_with_zero", "replace -100 by the pad_id argument, not by 0 (here pad_id is not 0).")
def shift_pad_zero(labels, start_id, pad_id):
    out = torch.empty_like(labels)
    out[:, 0] = start_id
    out[:, 1:] = labels[:, :-1]
    return out.masked_fill(out == -100, 0)


@mistake("hardcoded_start_id", "use the start_id argument instead of a fixed id 5 (<s>).")
def shift_start_5(labels, start_id, pad_id):
    return shift_right(labels, 5, pad_id)


@mistake("mutates_input", COMMON_HINTS["mutates_input"].replace("tokens", "labels"))
def shift_in_place(labels, start_id, pad_id):
    labels[labels == -100] = pad_id
    out = torch.empty_like(labels)
    out[:, 0] = start_id
    out[:, 1:] = labels[:, :-1]
    return out


SHIFT_RIGHT_MISTAKES = (shift_pad_first, shift_keeps_minus_100, shift_left, shift_none, shift_overwrite,
                        shift_too_long, shift_pad_zero, shift_start_5, shift_in_place)


# --------------------------------------------------------------------------- seq2seq_loss
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


@mistake("logits_labels_misaligned", "flatten logits and labels the same way: logits (B, T, V) -> "
         "(B*T, V) with reshape(-1, V), labels (B, T) -> (B*T,); transposing B and T on one side "
         "pairs each prediction with another position's label.")
def loss_misaligned(logits, labels, reduction="mean"):
    v = logits.shape[-1]
    return F.cross_entropy(logits.transpose(0, 1).reshape(-1, v), labels.reshape(-1), reduction=reduction)


SEQ2SEQ_LOSS_MISTAKES = (loss_ignored_as_0, loss_mean_all, loss_mean_per_sequence, loss_always_sum,
                         loss_always_mean, loss_sum_per_sequence, loss_shifted_again, loss_double_softmax,
                         loss_misaligned)
