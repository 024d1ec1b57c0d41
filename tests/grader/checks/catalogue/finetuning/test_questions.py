"""Lesson 08's short questions: right answers pass however they are written, and the
visible fixtures never hold them in clear."""

from __future__ import annotations

import pytest

import grader
from grader.checks.fixtures import build_fixtures

from ._bank import BANK, LESSON, QUESTIONS, modes, xid


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("name, answer", [(n, a) for n in QUESTIONS for a in BANK[n]])
def test_correct_answers_pass(name, answer, hidden, seed):
    """Right answers pass whichever way they are written ((8, 768), [8, 768] or a
    torch.Size; 'b', 'B' or ' b ')."""
    result = grader.check(xid(name), answer, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


def test_question_answers_are_not_shipped_in_clear():
    """The visible fixtures hold digests of the answers, never the answers."""
    fixtures = build_fixtures(LESSON)
    entry = fixtures["exercises"]["pooled_shape"]
    assert "8, 768" not in repr(entry)
