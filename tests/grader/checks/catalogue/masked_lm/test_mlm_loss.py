"""Lesson 05, ``mlm_loss``: the bank of correct alternatives passes, and stays well
inside the tolerance."""

from __future__ import annotations

import pytest
import torch

import grader
from grader.checks.engine import cases_for
from grader.checks.registry import get

from ._bank import LOSS_ALTERNATIVES, exercise_id, modes

ID = exercise_id("mlm_loss")


@pytest.mark.parametrize("candidate", LOSS_ALTERNATIVES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct implementation in the bank passes, visible and hidden, for several seeds."""
    result = grader.check(ID, candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


def test_tolerance_holds_with_a_margin():
    """float32 alternatives against the float64 reference stay 5x inside the tolerance
    (the full measurement, 300 seeds, is quoted beside it)."""
    ex = get(ID)
    tol = ex.harness.tolerance
    for seed in range(10):
        for case in cases_for(ex, hidden=True, seed=seed):
            expected = ex.harness.run(ex.entry.reference, case, torch.float64)
            for alt in LOSS_ALTERNATIVES:
                got = ex.harness.run(alt, case)
                for key, exp in expected.items():
                    err = (got[key].double() - exp).abs()
                    assert (err <= (tol.atol + tol.rtol * exp.abs()) / 5).all(), (alt, key)
