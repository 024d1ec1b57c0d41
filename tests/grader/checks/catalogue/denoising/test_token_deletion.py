"""Lesson 06, ``token_deletion``: the bank of correct alternatives (each passes, visible and
hidden) and the checks of its randomised judge."""

from __future__ import annotations

import math

import pytest
import torch

import grader
from reference.denoising import token_deletion

from ._common import (
    _join,
    _split,
    assert_judge_ignores_reference_draws,
    assert_no_false_alarms,
    exercise_id,
    modes,
)

NAME = "token_deletion"


def deletion_bernoulli(tokens, *, deletion_ratio=0.15, generator=None):
    head, body, tail = _split(tokens)
    keep = (torch.rand(len(body), generator=generator) >= deletion_ratio).tolist()
    return _join(head, [t for t, k in zip(body, keep, strict=True) if k], tail)


def deletion_argsort(tokens, *, deletion_ratio=0.15, generator=None):
    """Keep the n - k positions with the largest uniforms, in their original order."""
    head, body, tail = _split(tokens)
    k = math.ceil(deletion_ratio * len(body) - 1e-9)
    keep = torch.rand(len(body), generator=generator).argsort()[k:].sort().values
    return _join(head, torch.tensor(body, dtype=torch.long)[keep].tolist(), tail)


def deletion_python_loop(tokens, *, deletion_ratio=0.15, generator=None):
    """A set of indices from randperm, a list comprehension; the count rounded up."""
    head, body, tail = _split(tokens)
    k = math.ceil(deletion_ratio * len(body) - 1e-9)
    gone = set(torch.randperm(len(body), generator=generator)[:k].tolist())
    return _join(head, [t for i, t in enumerate(body) if i not in gone], tail)


ALTERNATIVES = [token_deletion, deletion_bernoulli, deletion_argsort, deletion_python_loop]


@pytest.mark.parametrize("candidate", ALTERNATIVES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct implementation in the bank passes, visible and hidden, for several seeds."""
    result = grader.check(exercise_id(NAME), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


def test_judge_ignores_the_reference_draws():
    """The judge decides from the candidate's outputs alone: removing the reference's and
    the mistakes' outputs changes no verdict."""
    assert_judge_ignores_reference_draws(NAME, ALTERNATIVES[1])


def test_statistics_do_not_reject_correct_code():
    """No false alarm on two correct implementations over 6 fresh hidden seeds."""
    assert_no_false_alarms(NAME, ALTERNATIVES[:2])
