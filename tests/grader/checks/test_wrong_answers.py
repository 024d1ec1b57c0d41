"""Realistic wrong answers (``tests/grader/checks/wrong_answers/<lesson>.py``): each fails,
and is named as expected, visible and hidden; across the course at least 95% of them get
a named hint (docs/exercise-contract.md, "Naming the mistake")."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest

import grader
from grader.checks.registry import exercises
from grader.course.kit import harness_folder

from . import wrong_answers

#: At least this share of the realistic wrong answers must get a named hint.
NAMED_SHARE = 0.95


def _banks() -> dict[str, list[tuple[str, Any, str | None]]]:
    banks = {}
    for info in pkgutil.iter_modules(wrong_answers.__path__):
        banks[info.name] = importlib.import_module(f"{wrong_answers.__name__}.{info.name}").WRONG
    return banks


def _lesson_of(folder: str) -> str:
    return next(ex.lesson for ex in exercises().values() if harness_folder(ex.lesson) == folder)


def _params() -> list[Any]:
    out = []
    for folder, bank in _banks().items():
        lesson = _lesson_of(folder)
        for n, (name, candidate, expected) in enumerate(bank):
            out.append(pytest.param(f"{lesson}/{name}", candidate, expected,
                                    id=f"{lesson}/{name}:{n}:{expected}"))
    return out


def test_every_lesson_has_a_bank_of_wrong_answers():
    """Each lesson's code exercises have realistic wrong answers in the bank."""
    banks = _banks()
    lessons = {ex.lesson for ex in exercises().values()}
    assert {harness_folder(x) for x in lessons} <= set(banks)


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("exercise_id, candidate, expected", _params())
def test_wrong_answer_fails_and_is_named_as_expected(exercise_id: str, candidate: Any,
                                                     expected: str | None, hidden: bool) -> None:
    """The wrong answer fails; the mistake named is the one it makes (or none, where the
    bank says no hint fits), never another one."""
    result = grader.check(exercise_id, candidate, hidden=hidden, seed=7)
    assert not result.passed, result.feedback
    assert result.mistake == expected, result.feedback


def test_most_wrong_answers_get_a_named_hint():
    """At least NAMED_SHARE of the course's realistic wrong answers are named."""
    expected = [e for bank in _banks().values() for _, _, e in bank]
    named = sum(e is not None for e in expected)
    assert expected and named / len(expected) >= NAMED_SHARE, f"{named}/{len(expected)}"
