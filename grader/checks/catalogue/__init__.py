"""The trusted half of each exercise: the reference it is compared with and
the catalogue of common mistakes, as code.

This package never ships to students. ``catalogue/<lesson>/<exercise>.py`` defines the
exercise's ``ENTRY`` and a lesson's ``questions.py`` its ``ENTRIES``;
:mod:`grader.checks.registry` pairs them with the harnesses of
:mod:`grader.labkit.exercises` (docs/exercise-contract.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CatalogueMistake:
    """A common wrong answer: ``fn`` has the candidate's signature and makes
    exactly this mistake; ``hint`` is what the student is told."""

    id: str
    hint: str
    fn: Any = None


@dataclass(frozen=True)
class Requirement:
    """One thing the exercise's spec asks of an answer (the task's prose and the docstring
    the student reads), with the catalogued mistakes that break it. The contract test
    proves every catalogued mistake fails and is named, so a requirement that names one
    is exercised by some case; one that names none is not tested at all."""

    text: str
    broken_by: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """One exercise's trusted data: ``reference`` has the candidate's signature
    (a function, a class, or for questions the right value); ``requirements`` trace the
    spec to the mistakes that test it (a question's one requirement is its answer)."""

    exercise_id: str
    reference: Any
    mistakes: tuple[CatalogueMistake, ...] = field(default_factory=tuple)
    points: float = 1.0
    requirements: tuple[Requirement, ...] = field(default_factory=tuple)


#: The hint of the ``class_axis_not_last`` mistake, shared by every loss exercise that takes
#: ``(B, T, V)`` logits: ``F.cross_entropy`` reads the classes from axis 1.
CLASS_AXIS_HINT = ("F.cross_entropy reads the classes from axis 1: give it logits of shape (N, V) "
                   "with targets (N,), flattening the batch and time axes together, or logits "
                   "(B, V, T) with targets (B, T); (B, T, V) logits with (B, T) targets do not "
                   "line up.")


def mistake(id: str, hint: str) -> Callable[[Any], CatalogueMistake]:
    """Decorator: turn a wrong implementation into a catalogued mistake."""

    def wrap(fn: Any) -> CatalogueMistake:
        return CatalogueMistake(id, hint, fn)

    return wrap
