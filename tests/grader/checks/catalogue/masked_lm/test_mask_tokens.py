"""Lesson 05, ``mask_tokens`` (its bank of correct alternatives runs in ``test_lesson.py``):
the randomised judge decides from the candidate's outputs alone, raises no false alarm, says what it
measured, and ships the hints of the catalogued mistakes. (That every catalogued mistake
is named, visible and hidden, is the contract test's, ``tests/grader/checks/test_contract.py``.)
"""

from __future__ import annotations

import re

import torch

import grader
from grader.checks.catalogue.masked_lm import mask_tokens as catalogue
from grader.checks.engine import cases_for
from grader.checks.registry import get
from grader.labkit.exercises.masked_lm.mask_tokens import MaskTokensHarness
from reference.mlm import mask_tokens as reference_mask_tokens

from ._bank import (
    exercise_id,
    mask_exact_count_rows,
    mask_hf_sequential,
)

ID = exercise_id("mask_tokens")


def test_mistakes_cover_the_catalogue_list():
    """The mistakes the course names for mask_tokens are all in the catalogue."""
    ids = {m.id for m in catalogue.ENTRY.mistakes}
    assert {"selects_special_tokens", "random_from_full_vocab", "labels_not_ignored",
            "labels_hold_mask_id", "mutates_input", "ignores_generator", "no_random_or_keep",
            "selection_count_over_all_positions", "masks_15_percent_instead_of_selecting"} <= ids


def test_judge_ignores_the_reference_draws():
    """The randomised judge decides from the candidate's outputs alone: removing the
    reference's outputs and the mistakes' outputs changes no verdict."""
    ex = get(ID)
    h = ex.harness
    for candidate in (mask_hf_sequential, catalogue.mask_no_keep.fn, catalogue.mask_global_rng.fn):
        for case in cases_for(ex, hidden=True, seed=11):
            got = h.run(candidate, case)
            a = h.judge(got, h.run(reference_mask_tokens, case, torch.float64), [], case, hidden=True)
            b = h.judge(got, {}, [], case, hidden=True)
            assert (a.passed, a.mistake, a.feedback) == (b.passed, b.mistake, b.feedback)


def test_statistics_do_not_reject_correct_code():
    """False alarms: two correct implementations on 20 fresh seeds each (the bounds are
    mean +/- 5 standard errors, below 1e-6 false failures per quantity)."""
    ex = get(ID)
    for candidate in (reference_mask_tokens, mask_exact_count_rows):
        for seed in range(100, 120):
            for case in cases_for(ex, hidden=True, seed=seed):
                if not case.args["stats"]:
                    continue
                verdict = ex.harness.judge(ex.harness.run(candidate, case), {}, [], case, hidden=True)
                assert verdict.passed, verdict.feedback


def test_feedback_states_measured_and_expected():
    """Statistical feedback names what was measured, the expected value with its bound, and the hint."""
    result = grader.check(ID, catalogue.mask_count_over_all.fn)
    assert re.search(r"selected \d+ of \d+ eligible tokens = [\d.]+%; expected 15.0% \+/- [\d.]+%",
                     result.feedback), result.feedback
    result = grader.check(ID, catalogue.mask_all_selected.fn)
    assert "100.0% became [MASK]" in result.feedback and "expected 80.0% +/-" in result.feedback


def test_cases_cover_what_the_checks_need():
    """Cases hold padding, [CLS]/[SEP], other specials inside sentences, a small vocabulary
    (so a draw from all ids hits a special) and enough eligible tokens for tight bounds."""
    ex = get(ID)
    for hidden in (False, True):
        cases = {c.name: c for c in cases_for(ex, hidden=hidden, seed=3)}
        stats = cases["statistics, default probabilities"]
        ids = stats.inputs["input_ids"].long()
        eligible = int((ids >= 15).sum())
        assert eligible >= 7000
        assert (ids == 0).float().mean() > 0.2  # a lot of padding
        for special in (1, 2, 3):
            assert (ids == special).any()
        assert stats.args["vocab_size"] - 15 <= 25
        assert list(cases["same seed twice, another seed once"].args["calls"]) == ["first", "again", "other"]


def test_every_mistake_has_a_shipped_hint():
    """The hints of mask_tokens mistakes ship with the harness (the judge needs them in the
    student's kernel); every catalogued mistake uses exactly that text."""
    hints = MaskTokensHarness().hints
    for m in catalogue.ENTRY.mistakes:
        assert m.hint == hints[m.id]
