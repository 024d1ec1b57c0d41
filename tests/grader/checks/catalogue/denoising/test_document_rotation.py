"""Lesson 06, ``document_rotation``: the bank of correct alternatives (each passes, visible and
hidden) and the checks of its randomised judge."""

from __future__ import annotations

import pytest
import torch

import grader
from reference.denoising import document_rotation

from ._common import (
    _join,
    _split,
    assert_judge_ignores_reference_draws,
    assert_no_false_alarms,
    exercise_id,
    modes,
)

NAME = "document_rotation"


def rotation_roll(tokens, *, generator=None):
    head, body, tail = _split(tokens)
    start = int(torch.randint(len(body), (1,), generator=generator))
    return _join(head, torch.tensor(body).roll(-start).tolist(), tail)


def rotation_right(tokens, *, generator=None):
    """Rotate to the right by a uniform shift: the start is uniform too."""
    head, body, tail = _split(tokens)
    shift = int(torch.randint(len(body), (1,), generator=generator))
    return _join(head, body[len(body) - shift:] + body[: len(body) - shift], tail)


ALTERNATIVES = [document_rotation, rotation_roll, rotation_right]


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
