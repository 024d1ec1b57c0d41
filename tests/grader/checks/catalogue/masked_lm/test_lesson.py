"""Lesson 05 as a whole: every bank of correct alternatives (``BANKS``, written in
``_bank.py``) passes, visible and hidden; the float banks stay well inside their tolerance;
the candidates of the notebook path (``FLOW``). What every lesson satisfies (its notebook,
sample mistakes, blocks, fixtures) is tested once in ``test_lessons.py``; the checks of
mask_tokens's randomised judge are in ``test_mask_tokens.py``."""

from __future__ import annotations

import pytest
import torch

import grader
from grader.checks.catalogue.masked_lm import mask_tokens as catalogue
from grader.checks.engine import cases_for
from grader.checks.registry import get
from reference.mlm import mask_tokens as reference_mask_tokens

from . import test_questions
from ._bank import (
    HEAD_ALTERNATIVES,
    LOSS_ALTERNATIVES,
    MASK_ALTERNATIVES,
    exercise_id,
    mask_multinomial,
    modes,
)

#: The notebook path of test_lessons.py: visible checks that pass, a visible check that fails
#: with its hint, and hidden evidence judged by the trusted grader (None: it passes).
FLOW = {
    "checks": [("mask_tokens", reference_mask_tokens)],
    "fails": [("mask_tokens", catalogue.mask_all_selected.fn, "became \\[MASK\\]")],
    "records": [("mask_tokens", mask_multinomial, None),
                ("mask_tokens", catalogue.mask_global_rng.fn, "ignores_generator"),
                ("mask_tokens", catalogue.mask_random_full_vocab.fn, "random_from_full_vocab")],
}


#: The banks of correct alternatives (and right answers) of test_lessons.py, by exercise.
CODE_BANKS = {"mask_tokens": MASK_ALTERNATIVES, "mlm_loss": LOSS_ALTERNATIVES, "MLMHead": HEAD_ALTERNATIVES}
BANKS = CODE_BANKS | test_questions.CORRECT_ANSWERS

FLOAT_EXERCISES = ("mlm_loss", "MLMHead")


@pytest.mark.parametrize("name, candidate", [(n, c) for n, bank in CODE_BANKS.items() for c in bank],
                         ids=lambda v: getattr(v, "__name__", repr(v)))
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(name, candidate, hidden, seed):
    """Every correct implementation in the bank passes, visible and hidden, for several seeds."""
    result = grader.check(exercise_id(name), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


@pytest.mark.parametrize("name", FLOAT_EXERCISES)
def test_tolerance_holds_with_a_margin(name):
    """float32 alternatives against the float64 reference stay 5x inside the tolerance
    (the full measurement, 300 seeds, is quoted beside it)."""
    ex = get(exercise_id(name))
    tol = ex.harness.tolerance
    for seed in range(10):
        for case in cases_for(ex, hidden=True, seed=seed):
            expected = ex.harness.run(ex.entry.reference, case, torch.float64)
            for alt in BANKS[name]:
                got = ex.harness.run(alt, case)
                for key, exp in expected.items():
                    err = (got[key].double() - exp).abs()
                    assert (err <= (tol.atol + tol.rtol * exp.abs()) / 5).all(), (alt, key)
