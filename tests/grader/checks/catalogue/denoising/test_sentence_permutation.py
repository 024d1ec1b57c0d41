"""Lesson 06, ``sentence_permutation``: the bank of correct alternatives (each passes, visible and
hidden) and the checks of its randomised judge."""

from __future__ import annotations

import pytest
import torch

import grader
from reference.denoising import sentence_permutation

from ._common import (
    _join,
    _split,
    assert_judge_ignores_reference_draws,
    assert_no_false_alarms,
    exercise_id,
    modes,
)

NAME = "sentence_permutation"


def permutation_argsort(tokens, *, sentence_end_ids, generator=None):
    """Sentences cut with a Python loop; the order is the argsort of uniforms."""
    head, body, tail = _split(tokens)
    sentences, current = [], []
    for t in body:
        current.append(t)
        if t in sentence_end_ids:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    order = torch.rand(len(sentences), generator=generator).argsort().tolist()
    return _join(head, [t for i in order for t in sentences[i]], tail)


def permutation_fisher_yates(tokens, *, sentence_end_ids, generator=None):
    """tensor_split at the end positions; Fisher-Yates with torch.randint."""
    head, body, tail = _split(tokens)
    body = torch.tensor(body, dtype=torch.long)
    cuts = (torch.isin(body, torch.tensor(list(sentence_end_ids))).nonzero().squeeze(1) + 1).tolist()
    pieces = [p for p in torch.tensor_split(body, [c for c in cuts if c < len(body)]) if len(p)]
    for i in range(len(pieces) - 1, 0, -1):
        j = int(torch.randint(i + 1, (1,), generator=generator))
        pieces[i], pieces[j] = pieces[j], pieces[i]
    return _join(head, torch.cat(pieces).tolist(), tail)


ALTERNATIVES = [sentence_permutation, permutation_argsort, permutation_fisher_yates]


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
