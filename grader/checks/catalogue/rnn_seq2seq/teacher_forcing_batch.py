"""Lesson 01, ``teacher_forcing_batch``: the reference (``reference.rnn``) and its catalogued
mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch
from torch import Tensor

from reference.rnn import teacher_forcing_batch

from .. import Entry, Requirement, mistake
from ._common import ID


def _labels(tgt_ids: Tensor, pad_id: int) -> Tensor:
    return tgt_ids.masked_fill(tgt_ids == pad_id, -100)  # (B, T)


def _shift(tgt_ids: Tensor, first: int) -> Tensor:
    return torch.cat([torch.full_like(tgt_ids[:, :1], first), tgt_ids[:, :-1]], dim=1)  # (B, T)


@mistake("no_shift", "the decoder must read y_{t-1} to predict y_t: tgt_in is <s> followed by "
         "the targets shifted right by one (their last token dropped). Feeding tgt_ids itself "
         "shows each step the very token it must predict.")
def tf_no_shift(tgt_ids, bos_id, pad_id):
    return tgt_ids.clone(), _labels(tgt_ids, pad_id)


@mistake("missing_bos", "the first decoder input is the start token <s> (bos_id), which tells "
         "the decoder to begin; shifted in front of y_1, not [PAD].")
def tf_missing_bos(tgt_ids, bos_id, pad_id):
    return _shift(tgt_ids, pad_id), _labels(tgt_ids, pad_id)


@mistake("shifted_left", "shift to the RIGHT: tgt_in = [<s>, y_1, ..., y_{T-1}], so that step "
         "t reads the previous token. Shifting left feeds the NEXT token, y_{t+1}.")
def tf_shifted_left(tgt_ids, bos_id, pad_id):
    rest = torch.full_like(tgt_ids[:, :1], pad_id)
    return torch.cat([tgt_ids[:, 1:], rest], dim=1), _labels(tgt_ids, pad_id)


@mistake("labels_shifted_too", "only the decoder INPUTS are shifted; the labels are the targets "
         "y_1 .. y_T themselves. With both shifted, each step learns to copy its own input.")
def tf_labels_shifted(tgt_ids, bos_id, pad_id):
    tgt_in = _shift(tgt_ids, bos_id)
    return tgt_in, _labels(tgt_in, pad_id)


@mistake("loss_over_pad_positions", "labels must be -100 where the target is padding, so the "
         "loss ignores those positions; otherwise the model is trained to predict [PAD].")
def tf_pads_in_labels(tgt_ids, bos_id, pad_id):
    return _shift(tgt_ids, bos_id), tgt_ids.clone()


@mistake("minus_100_in_inputs", "tgt_in was shifted from the labels, so it holds -100 where the "
         "targets are padding; an embedding cannot look up -100. Shift tgt_ids (or replace "
         "-100 by pad_id).")
def tf_minus_100(tgt_ids, bos_id, pad_id):
    labels = _labels(tgt_ids, pad_id)
    return _shift(labels, bos_id), labels


@mistake("hardcoded_bos", "use the bos_id argument for the start token instead of a fixed "
         "number.")
def tf_hardcoded_bos(tgt_ids, bos_id, pad_id):
    return _shift(tgt_ids, 5), _labels(tgt_ids, pad_id)


@mistake("hardcoded_pad_zero", "use the pad_id argument to find the padding instead of 0: with "
         "another pad id, real tokens with id 0 lost their labels and the padding kept them.")
def tf_hardcoded_pad(tgt_ids, bos_id, pad_id):
    return _shift(tgt_ids, bos_id), _labels(tgt_ids, 0)


@mistake("mutates_input", "tgt_ids must not change: build new tensors (torch.cat, masked_fill "
         "without the underscore, or .clone() first). `labels = tgt_ids` is not a copy, so "
         "labels[...] = -100 writes into tgt_ids.")
def tf_mutates(tgt_ids, bos_id, pad_id):
    tgt_in = _shift(tgt_ids, bos_id)
    labels = tgt_ids
    labels[labels == pad_id] = -100
    return tgt_in, labels


TEACHER_FORCING_MISTAKES = (tf_no_shift, tf_missing_bos, tf_shifted_left, tf_labels_shifted,
                            tf_pads_in_labels, tf_minus_100, tf_hardcoded_bos, tf_hardcoded_pad,
                            tf_mutates)

REQUIREMENTS = (
    Requirement("tgt_in is the targets shifted right by one behind <s>, the last column dropped",
                broken_by=("no_shift", "missing_bos", "shifted_left")),
    Requirement("the labels are the targets themselves, -100 where the target is padding",
                broken_by=("labels_shifted_too", "loss_over_pad_positions")),
    Requirement("tgt_in holds valid token ids (no -100)", broken_by=("minus_100_in_inputs",)),
    Requirement("use the bos_id and pad_id arguments, not fixed ids",
                broken_by=("hardcoded_bos", "hardcoded_pad_zero")),
    Requirement("tgt_ids is not modified", broken_by=("mutates_input",)),
)

ENTRY = Entry(f"{ID}/teacher_forcing_batch", teacher_forcing_batch, TEACHER_FORCING_MISTAKES,
              points=1, requirements=REQUIREMENTS)
