"""What lesson 04's test files share: the lesson's ids and paths, the check modes, and
the float32 error of a bank against the float64 reference."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch

from grader.checks.engine import cases_for
from grader.checks.registry import get

from .. import _shared as shared
from .._shared import name_of  # noqa: F401 - the lesson's test files import it from here

LESSON = "04_transformer_decoder"
ROOT = Path(__file__).resolve().parents[5]
SOLUTION = ROOT / "solutions" / LESSON
NOTEBOOK = SOLUTION / f"{LESSON}.ipynb"
SEEDS = (1, 2, 3)


def exercise_id(name: str) -> str:
    """The exercise id of ``name`` in this lesson."""
    return f"{LESSON}/{name}"


def modes() -> list[tuple[bool, int | None]]:
    """Visible, then hidden with each of SEEDS: ``(hidden, seed)`` pairs."""
    return [(False, None)] + [(True, s) for s in SEEDS]


def assert_passes(name: str, candidate: Any, hidden: bool, seed: int | None) -> None:
    """``candidate`` passes exercise ``name`` with no mistake named."""
    shared.assert_passes(exercise_id(name), candidate, hidden, seed)


def _candidates(name: str, bank: Sequence[Any]) -> list[Any]:
    return [get(exercise_id(name)).entry.reference, *bank]


def max_errors(name: str, bank: Sequence[Any], seeds: Iterable[int] = range(10)) -> tuple[float, float]:
    """The largest |float32 candidate - float64 reference| (the reference itself and the
    bank) over visible and hidden cases, outputs and gradients, and the smallest atol that
    covers every error given the harness's rtol (|err| <= atol + rtol * |expected|)."""
    ex = get(exercise_id(name))
    rtol = ex.harness.tolerance.rtol
    worst = (0.0, 0.0)
    for seed in seeds:
        for case in cases_for(ex, hidden=True, seed=seed) + cases_for(ex, hidden=False, seed=None):
            expected = ex.harness.run(ex.entry.reference, case, torch.float64)
            for alt in _candidates(name, bank):
                got = ex.harness.run(alt, case)
                for key, exp in expected.items():
                    if got.get(key) is None:
                        continue
                    err = (got[key].double() - exp).abs()
                    need = float((err - rtol * exp.abs()).max())
                    worst = (max(worst[0], float(err.max())), max(worst[1], need))
    return worst


def assert_within_fifth_of_tolerance(name: str, bank: Sequence[Any]) -> None:
    """float32 candidates against the float64 reference stay 5x inside the tolerance
    on the hidden cases of four seeds."""
    ex = get(exercise_id(name))
    tol = ex.harness.tolerance
    for seed in range(4):
        for case in cases_for(ex, hidden=True, seed=seed):
            expected = ex.harness.run(ex.entry.reference, case, torch.float64)
            for alt in _candidates(name, bank):
                got = ex.harness.run(alt, case)
                for key, exp in expected.items():
                    if got.get(key) is None:  # SDPA returns no weights: nothing to compare
                        continue
                    err = (got[key].double() - exp).abs()
                    assert (err <= (tol.atol + tol.rtol * exp.abs()) / 5).all(), (name, name_of(alt), key)
