"""What lesson 03's test files share: the lesson's ids and paths, the check modes, and
the measurement of the banks' float32 errors against the tolerances."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from grader.checks.registry import get

from .. import _shared as shared

LESSON = "03_transformer_encoder"
HIDDEN_SEEDS = (3, 11)


def xid(name: str) -> str:
    """The exercise id of ``name`` in this lesson."""
    return f"{LESSON}/{name}"


def modes() -> list[Any]:
    """Visible, then hidden with each of HIDDEN_SEEDS: ``(hidden, seed)`` parameters."""
    return [pytest.param(False, None, id="visible")] + [
        pytest.param(True, s, id=f"hidden-{s}") for s in HIDDEN_SEEDS]


def bank_params(name: str, bank: Sequence[Any]) -> list[Any]:
    """One pytest parameter per correct alternative, named by it."""
    return [pytest.param(cand, id=f"{name}-{getattr(cand, '__name__', repr(cand))}") for cand in bank]


def assert_passes(name: str, candidate: Any, hidden: bool, seed: int | None) -> None:
    """``candidate`` passes exercise ``name`` with no mistake named."""
    shared.assert_passes(xid(name), candidate, hidden, seed)


def measure_errors(name: str, candidates: Sequence[Any], seeds: Iterable[int]) -> dict[str, float]:
    """Max abs error (outputs, gradients) and the worst fraction of the tolerance used,
    of the reference and ``candidates`` run in float32 against the float64 reference."""
    return shared.measure_errors(xid(name), (get(xid(name)).entry.reference, *candidates), seeds)


def assert_tolerance_margin(name: str, candidates: Sequence[Any]) -> None:
    """The bank stays well inside the tolerance (about a tenth of it, measured over
    100 seeds by running this package as a script; a few seeds here)."""
    worst = measure_errors(name, candidates, seeds=range(3))
    assert worst["fraction_of_tolerance"] < 0.3, worst
