"""Short answers (grader/labkit/answers.py): a right answer passes in every form a student
may compute it in, and a wrong one fails with the same diagnosis whatever its form. Run
over every question of the registry."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import grader
from grader.checks.registry import exercises, get
from grader.labkit.answers import AnswerHarness

QUESTIONS = [i for i, ex in exercises().items() if isinstance(ex.harness, AnswerHarness)]


def _forms(kind: str, value: Any) -> list[Any]:
    """The same value as numpy, torch and plain Python would give it."""
    if kind == "shape":
        dims = list(value)
        return [tuple(dims), dims, torch.Size(dims), tuple(np.int64(d) for d in dims),
                tuple(torch.tensor(d) for d in dims), np.array(dims), torch.tensor(dims),
                tuple(float(d) for d in dims)]
    if kind in ("int", "number"):
        forms = [np.int64(value) if float(value).is_integer() else np.float64(value),
                 np.float32(value), np.float64(value), torch.tensor(value),
                 torch.tensor(float(value)), np.array(value), float(value)]
        return [f for f in forms if kind == "number" or float(f).is_integer()]
    if kind == "choice":
        return [value.upper(), f"  {value} ", f" {value.upper()}\n"]
    if kind == "bool":
        return [np.bool_(value), torch.tensor(value)]
    return [f"  {value.upper()}  "]


def _cases() -> list[Any]:
    return [pytest.param(i, form, id=f"{i}:{type(form).__name__}:{form!r}"[:90])
            for i in QUESTIONS for form in _forms(get(i).harness.kind, get(i).entry.reference)]


def _wrong_cases() -> list[Any]:
    out = []
    for i in QUESTIONS:
        ex = get(i)
        for m in ex.entry.mistakes:
            for form in _forms(ex.harness.kind, m.fn):
                out.append(pytest.param(i, m.id, form, id=f"{i}:{m.id}:{form!r}"[:90]))
    return out


def test_every_kind_of_question_is_covered():
    """The registry holds questions of the kinds whose forms are tested here."""
    assert {get(i).harness.kind for i in QUESTIONS} >= {"shape", "choice", "int", "number"}


@pytest.mark.parametrize("exercise_id, answer", _cases())
def test_right_answer_passes_in_any_form(exercise_id: str, answer: Any) -> None:
    """numpy scalars, 0-d tensors, numpy ints in a shape, an integral float for a count,
    an upper-case letter with spaces: all the right answer."""
    result = grader.check(exercise_id, answer)
    assert result.passed, result.feedback


@pytest.mark.parametrize("exercise_id, mistake_id, answer", _wrong_cases())
def test_wrong_answer_fails_with_its_hint_in_any_form(exercise_id: str, mistake_id: str,
                                                      answer: Any) -> None:
    """A catalogued wrong answer is named by its id whatever form it takes."""
    result = grader.check(exercise_id, answer)
    assert not result.passed and result.mistake == mistake_id, result.feedback


@pytest.mark.parametrize("kind, value", [
    ("shape", (2.5, 3)), ("shape", "(2, 3)"), ("shape", (True, 3)), ("int", 2.5),
    ("int", True), ("int", torch.tensor([1, 2])), ("number", "3"), ("choice", "ab"),
    ("bool", 1)])
def test_values_of_the_wrong_type_are_refused_with_what_was_expected(kind: str, value: Any):
    """A value that is not of the question's kind fails at the type layer, saying what
    was expected."""
    exercise_id = next(i for i in QUESTIONS if get(i).harness.kind == kind) if kind != "bool" \
        else QUESTIONS[0]
    harness = get(exercise_id).harness
    if kind == "bool":
        harness = type("BoolQuestion", (AnswerHarness,), {"kind": "bool"})()
    with pytest.raises(TypeError, match="expected"):
        harness.canonical(value)
