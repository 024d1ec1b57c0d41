"""The exercise registry: each harness (student side) paired with its trusted
entry (reference and mistake catalogue)."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache

from ..labkit.exercises import HARNESSES, _load_all
from ..labkit.harness import Harness
from . import catalogue
from .catalogue import Entry


def _catalogue_entries() -> list[Entry]:
    """Every Entry of the catalogue: a module defines ``ENTRY`` (one exercise: the file
    named by the exercise) or ``ENTRIES`` (a lesson's short questions)."""
    found: dict[str, Entry] = {}
    for info in pkgutil.walk_packages(catalogue.__path__, prefix=f"{catalogue.__name__}."):
        module = importlib.import_module(info.name)
        entries = list(getattr(module, "ENTRIES", ()))
        if getattr(module, "ENTRY", None) is not None:
            entries.append(module.ENTRY)
        for entry in entries:
            if found.setdefault(entry.exercise_id, entry) is not entry:
                raise ValueError(f"two catalogue entries for {entry.exercise_id!r} "
                                 f"(the second in {info.name})")
    return list(found.values())


@dataclass(frozen=True)
class Exercise:
    harness: Harness
    entry: Entry

    @property
    def id(self) -> str:
        return self.entry.exercise_id

    @property
    def lesson(self) -> str:
        return self.harness.lesson

    @property
    def name(self) -> str:
        return self.harness.name


@lru_cache(maxsize=1)
def exercises() -> dict[str, Exercise]:
    """All exercises by id, sorted (lesson ids start with their number, so this is course order)."""
    _load_all()
    found: dict[str, Exercise] = {}
    for entry in _catalogue_entries():
        if entry.exercise_id not in HARNESSES:
            raise ValueError(f"catalogue entry {entry.exercise_id!r} has no harness")
        found[entry.exercise_id] = Exercise(HARNESSES[entry.exercise_id], entry)
    missing = set(HARNESSES) - set(found)
    if missing:
        raise ValueError(f"harnesses without a catalogue entry: {sorted(missing)}")
    return dict(sorted(found.items()))


def list_exercises(lesson: str | None = None) -> list[str]:
    """Exercise ids ``"<lesson>/<name>"``, optionally of one lesson only."""
    return [i for i, ex in exercises().items() if lesson is None or ex.lesson == lesson]


def get(exercise_id: str) -> Exercise:
    try:
        return exercises()[exercise_id]
    except KeyError:
        raise ValueError(f"unknown exercise {exercise_id!r}; expected one of "
                         f"{list(exercises())}") from None


def lessons() -> list[str]:
    return sorted({ex.lesson for ex in exercises().values()})
