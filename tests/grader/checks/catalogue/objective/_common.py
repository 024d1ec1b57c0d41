"""What lesson 07's test files share: the lesson's ids, the visible and hidden
modes and the tolerance measurement."""

from __future__ import annotations

import pytest
import torch

import grader
import grader.checks.engine as engine
from grader.checks.catalogue import Entry
from grader.checks.registry import get
from grader.labkit.compare import GRAD_PREFIX
from grader.labkit.exercises.objective.train_step import LEFT_PREFIX

LESSON = "07_objective"
HIDDEN_SEEDS = (3, 11)


def xid(name: str) -> str:
    return f"{LESSON}/{name}"


def entries() -> dict[str, Entry]:
    """The lesson's catalogue entries by exercise name."""
    return {i.split("/", 1)[1]: get(i).entry for i in grader.list_exercises(LESSON)}


def modes():
    return [pytest.param(False, None, id="visible")] + [
        pytest.param(True, s, id=f"hidden-{s}") for s in HIDDEN_SEEDS]


def measure_errors(name: str, candidates, seeds) -> dict[str, float]:
    """Max abs error (outputs, gradients) and the worst fraction of the tolerance used,
    of ``candidates`` run in float32 against the float64 reference."""
    ex = get(xid(name))
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
                            or key.startswith(LEFT_PREFIX):
                        continue
                    err = (got[key].double() - exp).abs()
                    kind = "gradients" if key.startswith(GRAD_PREFIX) else "values"
                    worst[kind] = max(worst[kind], float(err.max()))
                    frac = err / (tol.atol + tol.rtol * exp.abs())
                    worst["fraction_of_tolerance"] = max(worst["fraction_of_tolerance"], float(frac.max()))
    return worst
