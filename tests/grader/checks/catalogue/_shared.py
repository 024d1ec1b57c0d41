"""Helpers every lesson's tests use: a candidate passes with no mistake named, a readable
test id for a candidate, and the float32 error of a bank of correct alternatives against
the float64 reference, as a fraction of the exercise's tolerance. Each lesson's
``_common.py`` binds them to its own exercise ids."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch

import grader
import grader.checks.engine as engine
from grader.checks.registry import get
from grader.labkit.compare import GRAD_PREFIX


def name_of(x: Any) -> str:
    """A readable test id for a candidate or a mistake."""
    return getattr(x, "__name__", None) or getattr(x, "id", None) or str(x)


def assert_passes(exercise_id: str, candidate: Any, hidden: bool, seed: int | None) -> None:
    """``candidate`` passes exercise ``exercise_id`` with no mistake named."""
    result = grader.check(exercise_id, candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


def measure_errors(exercise_id: str, candidates: Sequence[Any], seeds: Iterable[int], *,
                   skip_prefixes: tuple[str, ...] = (), gradient_keys: tuple[str, ...] = ()
                   ) -> dict[str, float]:
    """Max abs error (outputs, gradients) and the worst fraction of the tolerance used, of
    ``candidates`` run in float32 against the float64 reference, on the visible cases and
    the hidden cases of ``seeds``. Outputs whose key starts with one of ``skip_prefixes``
    are left out; a key in ``gradient_keys`` counts as a gradient."""
    ex = get(exercise_id)
    tol = ex.harness.tolerance
    worst = {"values": 0.0, "gradients": 0.0, "fraction_of_tolerance": 0.0}
    for seed in seeds:
        cases = engine.cases_for(ex, hidden=True, seed=seed) + engine.cases_for(ex, hidden=False, seed=None)
        for case in cases:
            expected = ex.harness.run(ex.entry.reference, case, torch.float64)
            for cand in candidates:
                got = ex.harness.run(cand, case)
                for key, exp in expected.items():
                    if type(exp) is not torch.Tensor or not exp.is_floating_point() \
                            or (skip_prefixes and key.startswith(skip_prefixes)):
                        continue
                    err = (got[key].double() - exp).abs()
                    kind = "gradients" if key.startswith(GRAD_PREFIX) or key in gradient_keys else "values"
                    worst[kind] = max(worst[kind], float(err.max()))
                    frac = err / (tol.atol + tol.rtol * exp.abs())
                    worst["fraction_of_tolerance"] = max(worst["fraction_of_tolerance"], float(frac.max()))
    return worst
