"""Lesson 02, ``padding_mask``: the reference and its catalogued mistakes (trusted; never
shipped)."""

from __future__ import annotations

import torch

from reference.masks import padding_mask

from .. import Entry, Requirement, mistake
from ._common import ID


@mistake("polarity_flipped", "the mask must be True at real tokens and False at padding "
         "(True means 'may attend'): compare with != pad_id, not == pad_id.")
def padding_mask_flipped(input_ids, pad_id):
    return input_ids == pad_id


@mistake("hardcoded_pad_zero", "use the pad_id argument instead of assuming padding is 0: with "
         "another pad id, real tokens with id 0 were masked and the padding was not.")
def padding_mask_pad_zero(input_ids, pad_id):
    return input_ids != 0


@mistake("assumes_right_padding", "padding is not always at the end of a sequence (some "
         "tokenizers pad on the left): mark each position by its own id, input_ids != pad_id, "
         "instead of counting a length.")
def padding_mask_lengths(input_ids, pad_id):
    lengths = (input_ids != pad_id).sum(dim=1)  # (B,)
    return torch.arange(input_ids.size(1))[None, :] < lengths[:, None]  # (B, T)


@mistake("mask_not_bool", "return a bool tensor (True/False), not 1/0 numbers: masked_fill "
         "and ~mask need bools, and 0/1 floats would be read as additive scores.")
def padding_mask_long(input_ids, pad_id):
    return (input_ids != pad_id).long()


@mistake("expanded_too_early", "return the plain (B, T) mask; attention code expands it to "
         "(B, 1, 1, T) itself when it needs to broadcast over heads and queries.")
def padding_mask_expanded(input_ids, pad_id):
    return (input_ids != pad_id)[:, None, None, :]  # (B, 1, 1, T)


ENTRY = Entry(f"{ID}/padding_mask", padding_mask, (
    padding_mask_flipped, padding_mask_pad_zero, padding_mask_lengths, padding_mask_long,
    padding_mask_expanded), points=1,
    requirements=(
        Requirement("True at real tokens, False at padding",
                    broken_by=("polarity_flipped", "assumes_right_padding")),
        Requirement("padding is input_ids == pad_id, the argument",
                    broken_by=("hardcoded_pad_zero",)),
        Requirement("a plain (B, T) bool tensor", broken_by=("mask_not_bool", "expanded_too_early")),
    ))
