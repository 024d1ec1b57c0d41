"""Lesson 02, ``causal_mask``: the reference and its catalogued mistakes (trusted; never
shipped)."""

from __future__ import annotations

import torch

from reference.masks import causal_mask

from .. import Entry, Requirement, mistake
from ._common import ID


@mistake("upper_triangle", "True means 'may attend', and query i (row) may attend keys j <= i "
         "(columns): that is the lower triangle, torch.tril, not the upper one.")
def causal_mask_upper(size):
    return torch.triu(torch.ones(size, size, dtype=torch.bool))


@mistake("excludes_diagonal", "a token may attend to itself: keep the diagonal (j <= i, not "
         "j < i). Without it the first token has nothing to attend to.")
def causal_mask_no_diagonal(size):
    return torch.tril(torch.ones(size, size, dtype=torch.bool), diagonal=-1)


@mistake("polarity_flipped", "this is the mask of blocked positions (the future, True above the "
         "diagonal); in this course True means 'may attend': the past and the token itself.")
def causal_mask_flipped(size):
    return torch.triu(torch.ones(size, size, dtype=torch.bool), diagonal=1)


@mistake("mask_not_bool", "the mask must be bool (True/False), not 1/0 numbers: torch.ones "
         "makes floats, so pass dtype=torch.bool (or compare positions, which gives bools).")
def causal_mask_float(size):
    return torch.tril(torch.ones(size, size))


ENTRY = Entry(f"{ID}/causal_mask", causal_mask, (
    causal_mask_upper, causal_mask_no_diagonal, causal_mask_flipped, causal_mask_float), points=1,
    requirements=(
        Requirement("query i may attend keys j <= i: True on and below the diagonal",
                    broken_by=("upper_triangle", "excludes_diagonal", "polarity_flipped")),
        Requirement("a (size, size) bool tensor", broken_by=("mask_not_bool",)),
    ))
