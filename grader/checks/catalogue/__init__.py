"""The trusted half of each exercise: the reference it is compared with and
the catalogue of common mistakes, as code.

This package never ships to students. Each lesson module defines ``ENTRIES``,
a list of :class:`Entry`; :mod:`grader.checks.registry` pairs them with the harnesses
of :mod:`grader.labkit.exercises`.
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
class Entry:
    """One exercise's trusted data: ``reference`` has the candidate's signature
    (a function, a class, or for questions the right value)."""

    exercise_id: str
    reference: Any
    mistakes: tuple[CatalogueMistake, ...] = field(default_factory=tuple)
    points: float = 1.0


def mistake(id: str, hint: str) -> Callable[[Any], CatalogueMistake]:
    """Decorator: turn a wrong implementation into a catalogued mistake."""

    def wrap(fn: Any) -> CatalogueMistake:
        return CatalogueMistake(id, hint, fn)

    return wrap
