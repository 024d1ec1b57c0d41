"""Every exercise's harness, by exercise id ("<lesson>/<name>").

Harnesses hold no answers, so this registry ships inside every released
lesson; the trusted grader pairs each harness with the reference and the
mistake catalogue (``grader.checks.catalogue``).
"""

from __future__ import annotations

import importlib
import pkgutil

from ..harness import Harness

HARNESSES: dict[str, Harness] = {}


def register(cls: type[Harness]) -> type[Harness]:
    """Class decorator: add one instance of the harness to the registry."""
    h = cls()
    if h.exercise_id in HARNESSES:
        raise ValueError(f"duplicate exercise id {h.exercise_id!r}")
    HARNESSES[h.exercise_id] = h
    return cls


def harness(exercise_id: str) -> Harness:
    _load_all()
    try:
        return HARNESSES[exercise_id]
    except KeyError:
        raise ValueError(f"unknown exercise {exercise_id!r}; known: {sorted(HARNESSES)}") from None


def _load_all() -> None:
    # Every module below this package holds harnesses (a folder per lesson, a file per
    # exercise); importing it registers them. A released lesson folder holds only its
    # own lesson's folder, so only its harnesses load there. Imported here, not at the
    # top, so that a harness module can import `register` from this package.
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        importlib.import_module(info.name)
