"""The trusted verdicts: ``check`` (candidate code, in this process) and
``verify`` (evidence recorded in a student's kernel). Both build the same
cases, compute the reference and every catalogued mistake in float64 on them,
and let the harness judge case by case, stopping at the first failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from .labkit.compare import ERROR_KEY, Mistake, Verdict
from .labkit.evidence import DEFAULT_SEED
from .labkit.harness import Case, derive_seed, generator
from .registry import Exercise, get

#: The seed of the visible cases (the ones shipped as fixtures).
VISIBLE_SEED = 0


@dataclass
class CheckResult:
    """The outcome of checking one exercise (COURSE.md section 5)."""

    exercise_id: str
    passed: bool
    feedback: str
    mistake: str | None = None
    layer: str | None = None

    @classmethod
    def from_verdict(cls, exercise_id: str, v: Verdict) -> CheckResult:
        return cls(exercise_id, v.passed, v.feedback, v.mistake, v.layer)


def cases_for(ex: Exercise, *, hidden: bool, seed: int | None) -> list[Case]:
    base = (DEFAULT_SEED if seed is None else seed) if hidden else VISIBLE_SEED
    return ex.harness.cases(generator(derive_seed(base, ex.id)), hidden=hidden)


def expected_and_mistakes(ex: Exercise, case: Case) -> tuple[dict[str, Any], list[Mistake]]:
    """The reference's outputs and each mistake's outputs on ``case``, in float64."""
    expected = ex.harness.run(ex.entry.reference, case, torch.float64)
    if ERROR_KEY in expected:
        raise RuntimeError(f"the reference failed on {ex.id} / {case.name}: {expected[ERROR_KEY]}")
    mistakes = [Mistake(m.id, m.hint, ex.harness.run(m.fn, case, torch.float64))
                for m in ex.entry.mistakes]
    return expected, mistakes


def judge(ex: Exercise, cases: list[Case], outputs: Mapping[str, Mapping[str, Any]], *,
          hidden: bool) -> CheckResult:
    """Judge recorded outputs case by case; the first failing case decides."""
    for case in cases:
        got = outputs.get(case.name)
        if got is None:
            return CheckResult(ex.id, False, f"FAILED {ex.name}: no result for case "
                               f"'{case.name if not hidden else 'hidden'}'", None, "error")
        expected, mistakes = expected_and_mistakes(ex, case)
        verdict = ex.harness.judge(got, expected, mistakes, case, hidden=hidden)
        if not verdict.passed:
            return CheckResult.from_verdict(ex.id, verdict)
    kind = "hidden" if hidden else "visible"
    return CheckResult(ex.id, True, f"passed: {ex.name}, all {len(cases)} {kind} cases")


def check(exercise_id: str, candidate: Any, *, hidden: bool = False,
          seed: int | None = None) -> CheckResult:
    """Check ``candidate`` (a function, a class or an answer) for one exercise.

    ``hidden=False`` uses the visible cases (those of the shipped fixtures);
    ``hidden=True`` uses fresh cases derived from ``seed``.
    """
    ex = get(exercise_id)
    cases = cases_for(ex, hidden=hidden, seed=seed)
    outputs = {c.name: ex.harness.run(candidate, c) for c in cases}
    return judge(ex, cases, outputs, hidden=hidden)


def verify(exercise_id: str, evidence: Mapping[str, Mapping[str, Any]], seed: int) -> CheckResult:
    """Judge evidence recorded by a hidden test cell run with ``seed``."""
    ex = get(exercise_id)
    return judge(ex, cases_for(ex, hidden=True, seed=seed), evidence, hidden=True)
