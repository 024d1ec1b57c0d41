"""Lesson 01, ``context_vector``: a bank of correct context vectors (argmax of positions,
flip and gather, one row at a time, one-hot weights, masked_fill) passes, visible and
hidden; the tolerance keeps its margin; padded states are not copies of the last one."""

from __future__ import annotations

import pytest
import torch

from grader.checks.engine import cases_for
from grader.checks.registry import get
from reference.rnn import context_vector

from ._common import assert_passes, assert_within_tolerance, exercise_id, modes, name_of

NAME = "context_vector"


def _as_mask(hidden_states, mask):
    return torch.ones(hidden_states.shape[:2], dtype=torch.bool) if mask is None else mask


def context_argmax(hidden_states, mode="last", mask=None):
    """The last real position as argmax of mask * position; mean by masked sum / count."""
    mask = _as_mask(hidden_states, mask)
    if mode == "mean":
        w = mask.unsqueeze(-1).to(hidden_states.dtype)
        return (hidden_states * w).sum(1) / w.sum(1)
    last = (mask.long() * torch.arange(mask.shape[1])).argmax(dim=1)
    return hidden_states[torch.arange(len(last)), last]


def context_flip_gather(hidden_states, mode="last", mask=None):
    """The first True counted from the end (flip), then gather; mean with einsum."""
    mask = _as_mask(hidden_states, mask)
    if mode == "mean":
        w = mask.to(hidden_states.dtype)
        return torch.einsum("bth,bt->bh", hidden_states, w) / w.sum(1, keepdim=True)
    from_end = mask.flip(1).long().argmax(dim=1)  # first True of the flipped mask
    last = mask.shape[1] - 1 - from_end
    index = last.view(-1, 1, 1).expand(-1, 1, hidden_states.shape[2])
    return hidden_states.gather(1, index).squeeze(1)


def context_python_rows(hidden_states, mode="last", mask=None):
    """One row at a time: nonzero() positions, then index or mean."""
    mask = _as_mask(hidden_states, mask)
    out = []
    for h, m in zip(hidden_states, mask, strict=True):
        real = m.nonzero().squeeze(1)
        out.append(h[real[-1]] if mode == "last" else h[real].mean(0))
    return torch.stack(out)


def context_one_hot(hidden_states, mode="last", mask=None):
    """'last' as a one-hot weight (cumsum reaches the count), 'mean' as uniform weights."""
    mask = _as_mask(hidden_states, mask)
    counts = mask.sum(1, keepdim=True)
    if mode == "last":
        weights = (mask & (mask.cumsum(1) == counts)).to(hidden_states.dtype)
    else:
        weights = mask.to(hidden_states.dtype) / counts
    return (weights.unsqueeze(-1) * hidden_states).sum(dim=1)


def context_masked_fill_mean(hidden_states, mode="last", mask=None):
    """Padded states zeroed with masked_fill; 'last' from a reference-style max over positions."""
    mask = _as_mask(hidden_states, mask)
    if mode == "mean":
        summed = hidden_states.masked_fill(~mask.unsqueeze(-1), 0.0).sum(dim=1)
        return summed / mask.sum(dim=1, keepdim=True).to(hidden_states.dtype)
    pos = torch.arange(mask.shape[1]).expand_as(mask)
    last = torch.where(mask, pos, torch.full_like(pos, -1)).max(dim=1).values
    return hidden_states[torch.arange(mask.shape[0]), last]


CONTEXT_ALTERNATIVES = [context_vector, context_argmax, context_flip_gather, context_python_rows,
                        context_one_hot, context_masked_fill_mean]


@pytest.mark.parametrize("candidate", CONTEXT_ALTERNATIVES, ids=name_of)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct context_vector in the bank passes, visible and hidden, for several seeds."""
    assert_passes(NAME, candidate, hidden, seed)


def test_tolerance_holds_with_a_margin():
    """float32 alternatives against the float64 reference stay 5x inside the tolerance."""
    assert_within_tolerance(NAME, CONTEXT_ALTERNATIVES)


def test_context_cases_do_not_repeat_the_last_state_over_padding():
    """The hidden states at padded positions differ from the last real state, so taking the
    last position is wrong even though a correct encoder would repeat the state there."""
    for case in cases_for(get(exercise_id(NAME)), hidden=True, seed=5):
        if case.name == "last, right padding":
            h = case.inputs["hidden_states"]
            assert not torch.allclose(h[:, -1], context_vector(h, "last", case.inputs["mask"]))
