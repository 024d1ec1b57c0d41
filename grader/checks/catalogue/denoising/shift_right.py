"""Lesson 06's ``shift_right`` entry: the reference and the catalogued mistakes (trusted; never shipped).

``shift_right`` is deterministic: its mistakes are matched by their outputs.
"""

from __future__ import annotations

import torch

from grader.labkit.exercises.denoising._common import COMMON_HINTS
from reference.denoising import shift_right

from .. import Entry, Requirement, mistake
from ._common import ID


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


REQUIREMENTS = (
    Requirement('the decoder input starts with decoder_start_id, then the labels shifted right by one',
                broken_by=('no_start_token', 'not_shifted', 'shifted_left', 'start_overwrites_first_label')),
    Requirement("it keeps the labels' length: the last label is dropped",
                broken_by=('keeps_last_label',)),
    Requirement('-100 (ignored labels) become pad_id in the decoder input',
                broken_by=('keeps_ignore_index', 'pads_with_zero')),
    Requirement('decoder_start_id is the argument, not a fixed id',
                broken_by=('hardcoded_start_id',)),
    Requirement('the labels tensor is not modified',
                broken_by=('mutates_input',)),
)


ENTRY = Entry(f"{ID}/shift_right", shift_right, (
    shift_pad_first, shift_keeps_minus_100, shift_left, shift_none, shift_overwrite,
    shift_too_long, shift_pad_zero, shift_start_5, shift_in_place
), points=2, requirements=REQUIREMENTS)
