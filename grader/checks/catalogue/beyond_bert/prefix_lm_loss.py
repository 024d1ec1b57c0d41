"""Lesson 11's ``prefix_lm_loss`` entry: the reference (``reference.beyond_bert``) and the
catalogued mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reference.beyond_bert import prefix_lm_loss

from .. import CLASS_AXIS_HINT, Entry, Requirement, mistake
from ._common import ID

_BOUNDARY = ("the continuation starts at position prefix_length: the first target to count is "
             "input_ids[:, prefix_length], scored by the logits at prefix_length - 1; compare the "
             "TARGET's position (t + 1 for the logits at t) with the prefix length.")


def _loss(logits, input_ids, prefix_lengths, pad_id=0, *, start=0, shift=True, pad="targets",
          reduce="mean", real_id=None):
    """A configurable prefix-LM loss: each mistake below turns one switch. ``start`` moves the
    first counted target by that many positions."""
    if shift:
        lp, targets = F.log_softmax(logits[:, :-1], -1), input_ids[:, 1:]
        pos = torch.arange(1, input_ids.shape[1])
    else:
        lp, targets = F.log_softmax(logits, -1), input_ids
        pos = torch.arange(input_ids.shape[1])
    keep = pos[None, :] >= prefix_lengths[:, None] + start
    if pad == "targets":
        keep = keep & (targets != (pad_id if real_id is None else real_id))
    nll = -lp.gather(-1, targets[..., None]).squeeze(-1) * keep  # (B, T')
    if reduce == "mean":
        return nll.sum() / keep.sum()
    if reduce == "sum":
        return nll.sum()
    if reduce == "per_sequence":
        return (nll.sum(1) / keep.sum(1)).mean()
    raise ValueError(reduce)


@mistake("loss_on_prefix_too", "the prefix is given, not generated: only the continuation's "
         "tokens (positions >= prefix_length) are predicted and count in the loss.")
def loss_whole_sequence(logits, input_ids, prefix_lengths, pad_id=0):
    return _loss(logits, input_ids, prefix_lengths, pad_id, start=-100)


@mistake("prefix_boundary_off_by_one", _BOUNDARY)
def loss_skips_first(logits, input_ids, prefix_lengths, pad_id=0):
    return _loss(logits, input_ids, prefix_lengths, pad_id, start=1)


@mistake("prefix_boundary_off_by_one", _BOUNDARY)
def loss_one_early(logits, input_ids, prefix_lengths, pad_id=0):
    return _loss(logits, input_ids, prefix_lengths, pad_id, start=-1)


@mistake("no_shift", "the logits at position t predict the NEXT token: pair logits[:, :-1] with "
         "input_ids[:, 1:] before choosing the continuation's targets.")
def loss_no_shift(logits, input_ids, prefix_lengths, pad_id=0):
    return _loss(logits, input_ids, prefix_lengths, pad_id, shift=False)


@mistake("padding_counted", "targets equal to pad_id are padding: leave them out of the loss.")
def loss_padding(logits, input_ids, prefix_lengths, pad_id=0):
    return _loss(logits, input_ids, prefix_lengths, pad_id, pad="none")


@mistake("pad_id_hardcoded", "use the pad_id argument: here padding is another id, and a real "
         "token with id 0 must count.")
def loss_pad_zero(logits, input_ids, prefix_lengths, pad_id=0):
    return _loss(logits, input_ids, prefix_lengths, pad_id, real_id=0)


@mistake("sum_instead_of_mean", "the loss is the MEAN over the counted targets of the batch, so "
         "that it does not grow with the batch or with the continuation's length.")
def loss_sum(logits, input_ids, prefix_lengths, pad_id=0):
    return _loss(logits, input_ids, prefix_lengths, pad_id, reduce="sum")


@mistake("mean_per_sequence", "average over all counted tokens of the batch at once; a mean per "
         "row, then over rows, makes a token of a short continuation weigh more.")
def loss_per_sequence(logits, input_ids, prefix_lengths, pad_id=0):
    return _loss(logits, input_ids, prefix_lengths, pad_id, reduce="per_sequence")


@mistake("class_axis_not_last", CLASS_AXIS_HINT)
def loss_class_axis(logits, input_ids, prefix_lengths, pad_id=0):
    return F.cross_entropy(logits[:, :-1], input_ids[:, 1:])


REQUIREMENTS = (
    Requirement("only targets in the continuation count: position j >= prefix_length, the logits "
                "at j - 1 scoring it", broken_by=("loss_on_prefix_too", "prefix_boundary_off_by_one", "no_shift")),
    Requirement("padded targets (pad_id, the argument) do not count",
                broken_by=("padding_counted", "pad_id_hardcoded")),
    Requirement("the loss is the mean cross-entropy over the counted targets of the whole batch",
                broken_by=("sum_instead_of_mean", "mean_per_sequence", "class_axis_not_last")),
)

ENTRY = Entry(f"{ID}/prefix_lm_loss", prefix_lm_loss, (
    loss_whole_sequence, loss_skips_first, loss_one_early, loss_no_shift, loss_padding, loss_pad_zero,
    loss_sum, loss_per_sequence, loss_class_axis), points=2, requirements=REQUIREMENTS)
