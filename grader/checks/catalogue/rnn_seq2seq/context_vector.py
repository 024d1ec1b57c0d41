"""Lesson 01, ``context_vector``: the reference and its catalogued mistakes (trusted; never
shipped)."""

from __future__ import annotations

import torch
from torch import Tensor

from reference.rnn import context_vector

from .. import Entry, Requirement, mistake
from ._common import ID


def _mask(hidden_states: Tensor, mask: Tensor | None) -> Tensor:
    """(B, T) bool: ``mask``, or all True when there is none."""
    if mask is None:
        return torch.ones(hidden_states.shape[:2], dtype=torch.bool)
    return mask.bool()


def _last_at(hidden_states: Tensor, index: Tensor) -> Tensor:
    return hidden_states[torch.arange(hidden_states.shape[0]), index]  # (B, H)


def _mean(hidden_states: Tensor, mask: Tensor | None) -> Tensor:
    return context_vector(hidden_states, "mean", mask)


def _last(hidden_states: Tensor, mask: Tensor | None) -> Tensor:
    return context_vector(hidden_states, "last", mask)


@mistake("last_ignores_padding", "hidden_states[:, -1] is the last POSITION, which is padding in "
         "a shorter sequence: take, in each row, the state of the last position where the mask "
         "is True.")
def context_last_position(hidden_states, mode="last", mask=None):
    if mode == "last":
        return hidden_states[:, -1]
    return _mean(hidden_states, mask)


@mistake("assumes_right_padding", "mask.sum(1) - 1 is the last real position only when the "
         "padding is on the right; with left padding the last real token is at the end. Find "
         "the largest position where the mask is True (e.g. argmax of mask * positions).")
def context_from_lengths(hidden_states, mode="last", mask=None):
    if mode == "last":
        return _last_at(hidden_states, _mask(hidden_states, mask).sum(1) - 1)
    return _mean(hidden_states, mask)


@mistake("first_state_instead_of_last", "'last' is the state after reading the whole source, "
         "h_T (the last real token), not h_1.")
def context_first(hidden_states, mode="last", mask=None):
    if mode == "last":
        return hidden_states[:, 0]
    return _mean(hidden_states, mask)


@mistake("mean_includes_padding", "average over the REAL tokens only: sum the states where the "
         "mask is True and divide by the number of real tokens per row, not by T.")
def context_mean_all(hidden_states, mode="last", mask=None):
    if mode == "mean":
        return hidden_states.mean(dim=1)
    return _last(hidden_states, mask)


@mistake("mean_divides_by_full_length", "the padded states are left out of the sum, but the "
         "sum must also be divided by the number of REAL tokens of each row (mask.sum(1)), "
         "not by T.")
def context_mean_by_t(hidden_states, mode="last", mask=None):
    if mode == "mean":
        weights = _mask(hidden_states, mask).to(hidden_states.dtype)[..., None]  # (B, T, 1)
        return (hidden_states * weights).sum(dim=1) / hidden_states.shape[1]
    return _last(hidden_states, mask)


@mistake("mean_over_wrong_axis", "average over the time axis (dim=1) of (B, T, H), so that one "
         "H-sized vector is left per sentence.")
def context_mean_wrong_axis(hidden_states, mode="last", mask=None):
    if mode == "mean":
        weights = _mask(hidden_states, mask).to(hidden_states.dtype)[..., None]  # (B, T, 1)
        return (hidden_states * weights).mean(dim=2)
    return _last(hidden_states, mask)


CONTEXT_MISTAKES = (context_last_position, context_from_lengths, context_first, context_mean_all,
                    context_mean_by_t, context_mean_wrong_axis)

REQUIREMENTS = (
    Requirement("'last' is the state at the last REAL token of each row (mask True), whatever "
                "the side of the padding",
                broken_by=("last_ignores_padding", "assumes_right_padding",
                           "first_state_instead_of_last")),
    Requirement("'mean' averages the states at real tokens only, divided by each row's number "
                "of real tokens",
                broken_by=("mean_includes_padding", "mean_divides_by_full_length")),
    Requirement("return one H-sized vector per sentence, (B, H)",
                broken_by=("mean_over_wrong_axis",)),
)

ENTRY = Entry(f"{ID}/context_vector", context_vector, CONTEXT_MISTAKES, points=2,
              requirements=REQUIREMENTS)
