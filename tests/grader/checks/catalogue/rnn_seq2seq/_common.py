"""What lesson 01's test files share: the lesson's ids, seeds and the tolerance
measurement of a bank of correct float32 alternatives against the float64 reference."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch

from grader.checks.engine import cases_for
from grader.checks.registry import get
from grader.labkit.compare import ERROR_KEY

from .. import _shared as shared
from .._shared import name_of  # noqa: F401 - the lesson's test files import it from here

LESSON = "01_rnn_seq2seq"
SEEDS = (1, 2, 3)


def exercise_id(name: str) -> str:
    return f"{LESSON}/{name}"


def modes() -> list[tuple[bool, int | None]]:
    """(hidden, seed): the visible cases, then hidden cases of every seed in SEEDS."""
    return [(False, None)] + [(True, s) for s in SEEDS]


def assert_passes(name: str, candidate: Any, hidden: bool, seed: int | None) -> None:
    """``candidate`` passes exercise ``name`` with no mistake named."""
    shared.assert_passes(exercise_id(name), candidate, hidden, seed)


def max_errors(name: str, bank: Sequence[Any], seeds: Iterable[int]) -> dict[str, tuple[float, float]]:
    """Per output of exercise ``name``, over ``seeds``: the largest |float32 alternative -
    float64 reference|, and the largest such error scaled by 1 + |reference| (a tolerance
    with atol = rtol = that figure admits every alternative)."""
    ex = get(exercise_id(name))
    worst: dict[str, tuple[float, float]] = {}
    for seed in seeds:
        for hidden in (False, True):
            for case in cases_for(ex, hidden=hidden, seed=seed):
                expected = ex.harness.run(ex.entry.reference, case, torch.float64)
                for alt in bank:
                    got = ex.harness.run(alt, case)
                    assert ERROR_KEY not in got, (name, alt, got)
                    for key, exp in expected.items():
                        diff = (got[key].double() - exp).abs()
                        err, scaled = float(diff.max()), float((diff / (1 + exp.abs())).max())
                        before = worst.get(f"{name}/{key}", (0.0, 0.0))
                        worst[f"{name}/{key}"] = (max(before[0], err), max(before[1], scaled))
    return worst


def assert_within_tolerance(name: str, bank: Sequence[Any], seeds: Iterable[int] = range(4),
                            margin: float = 5.0) -> None:
    """Every float32 alternative stays ``margin`` times inside exercise ``name``'s
    tolerance against the float64 reference, on the hidden cases of ``seeds``."""
    ex = get(exercise_id(name))
    tol = ex.harness.tolerance
    for seed in seeds:
        for case in cases_for(ex, hidden=True, seed=seed):
            expected = ex.harness.run(ex.entry.reference, case, torch.float64)
            for alt in bank:
                got = ex.harness.run(alt, case)
                for key, exp in expected.items():
                    err = (got[key].double() - exp).abs()
                    assert (err <= (tol.atol + tol.rtol * exp.abs()) / margin).all(), (name, alt, key)
