"""Every exercise's harness, by exercise id ("<lesson>/<name>").

Harnesses hold no answers, so this registry ships inside every released
lesson; the trusted grader pairs each harness with the reference and the
mistake catalogue (``grader.catalogue``).
"""

from __future__ import annotations

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
    # Imported here, not at the top, so a lesson module can import `register`.
    from . import attention, masked_lm  # noqa: F401
