"""Lesson 10: every bank of correct alternatives passes, visible and hidden, with no mistake
named (different truncation arithmetic, other draws for the NSP pairs, functional heads,
other loss formulations, loops or tables for the span, other ways to keep four layers)."""

from __future__ import annotations

import pytest

import grader

from ._bank import BANK, QUESTIONS, modes, xid

CODE = [n for n in BANK if n not in QUESTIONS]


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("name, candidate", [pytest.param(n, c, id=f"{n}-{getattr(c, '__name__', c)}")
                                             for n in CODE for c in BANK[n]])
def test_correct_alternative_passes(name, candidate, hidden, seed):
    """A correct implementation, written differently from the reference, passes."""
    result = grader.check(xid(name), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("name, answer", [pytest.param(n, a, id=f"{n}-{a!r}") for n in QUESTIONS for a in BANK[n]])
def test_correct_answers_pass(name, answer, hidden, seed):
    """Right answers pass whichever way they are written (an int, an integral float, a
    0-d tensor; a letter in either case, with spaces)."""
    result = grader.check(xid(name), answer, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None
