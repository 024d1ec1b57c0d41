"""Lesson 08, ``masked_mean_pool``: the bank of correct poolings passes."""

from __future__ import annotations

import pytest

import grader

from ._bank import bank_params, modes, xid


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("candidate", bank_params("masked_mean_pool"))
def test_correct_alternative_passes(candidate, hidden, seed):
    """Any correct mean over the real tokens passes: multiplied by the mask, einsum,
    masked_fill, a loop over rows, torch.where."""
    result = grader.check(xid("masked_mean_pool"), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None
