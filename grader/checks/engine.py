"""The trusted verdicts: ``check`` (candidate code, in this process) and
``verify`` (evidence recorded in a student's kernel). Both build the same
cases, compute the reference and every catalogued mistake in float64 on them
(each only when the judge reads it), and let the harness judge case by case,
stopping at the first failure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..labkit.compare import ERROR_KEY, Mistake, Verdict
from ..labkit.evidence import DEFAULT_SEED, VISIBLE_SEED
from ..labkit.harness import Case, derive_seed, generator
from ..labkit.notebook import evidence_cases
from .registry import Exercise, get


@dataclass
class CheckResult:
    """The outcome of checking one exercise (docs/exercise-contract.md)."""

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


class LazyMistakes(Sequence[Mistake]):
    """The catalogued mistakes' outputs on one case, computed on first use.

    A judge reads the mistakes only to name a failure, so a passing answer never pays
    for running the catalogue (for the statistical exercises of lessons 05 and 06 that
    was nine tenths of the trusted re-computation at autograde). Always truthy, so
    ``mistakes or []`` does not compute it."""

    def __init__(self, ex: Exercise, case: Case) -> None:
        self._ex, self._case = ex, case
        self._items: list[Mistake] | None = None

    def _all(self) -> list[Mistake]:
        if self._items is None:
            ex, case = self._ex, self._case
            self._items = [Mistake(m.id, m.hint, ex.harness.run(m.fn, case, torch.float64))
                           for m in ex.entry.mistakes]
        return self._items

    def __bool__(self) -> bool:
        return True

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[Mistake]:
        return iter(self._all())

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    @property
    def computed(self) -> bool:
        """Whether the catalogue was run (for tests)."""
        return self._items is not None


class LazyExpected(Mapping[str, Any]):
    """The reference's outputs on one case, computed on first use: the randomised
    judges (BERT masking, the BART corruptions) decide from invariants and statistics
    of the answer alone and never read them."""

    def __init__(self, ex: Exercise, case: Case) -> None:
        self._ex, self._case = ex, case
        self._items: dict[str, Any] | None = None

    def _all(self) -> dict[str, Any]:
        if self._items is None:
            ex, case = self._ex, self._case
            out = ex.harness.run(ex.entry.reference, case, torch.float64)
            if ERROR_KEY in out:
                raise RuntimeError(f"the reference failed on {ex.id} / {case.name}: {out[ERROR_KEY]}")
            self._items = out
        return self._items

    def __getitem__(self, key: str) -> Any:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    @property
    def computed(self) -> bool:
        """Whether the reference was run (for tests)."""
        return self._items is not None


def expected_and_mistakes(ex: Exercise, case: Case) -> tuple[LazyExpected, LazyMistakes]:
    """The reference's outputs on ``case`` and each mistake's outputs, in float64, each
    computed when a judge first reads it."""
    return LazyExpected(ex, case), LazyMistakes(ex, case)


def judge(ex: Exercise, cases: list[tuple[str, Case]], outputs: Mapping[str, Mapping[str, Any]]
          ) -> CheckResult:
    """Judge recorded outputs case by case (keys "visible:<case>" or
    "hidden:<case>"); the first failing case decides."""
    for key, case in cases:
        hidden = key.startswith("hidden:")
        got = outputs.get(key)
        if got is None:
            shown = "a hidden case" if hidden else f"case '{case.name}'"
            return CheckResult(ex.id, False, f"FAILED (error) {ex.name}: no result recorded for "
                               f"{shown}", None, "error")
        expected, mistakes = expected_and_mistakes(ex, case)
        verdict = ex.harness.judge(got, expected, mistakes, case, hidden=hidden)  # type: ignore[arg-type]
        if not verdict.passed:
            return CheckResult.from_verdict(ex.id, verdict)
    return CheckResult(ex.id, True, f"passed: {ex.name}, all {len(cases)} cases")


def check(exercise_id: str, candidate: Any, *, hidden: bool = False,
          seed: int | None = None) -> CheckResult:
    """Check ``candidate`` (a function, a class or an answer) for one exercise.

    ``hidden=False`` uses the visible cases (those of the shipped fixtures);
    ``hidden=True`` uses fresh cases derived from ``seed``.
    """
    ex = get(exercise_id)
    prefix = "hidden:" if hidden else "visible:"
    cases = [(prefix + c.name, c) for c in cases_for(ex, hidden=hidden, seed=seed)]
    return judge(ex, cases, {key: ex.harness.run(candidate, c) for key, c in cases})


def verify(exercise_id: str, evidence: Mapping[str, Mapping[str, Any]], seed: int) -> CheckResult:
    """Judge the evidence a hidden test cell recorded with ``seed``: the visible
    cases and the hidden ones, all recomputed here from the seeds alone."""
    ex = get(exercise_id)
    return judge(ex, evidence_cases(ex.harness, seed), evidence)
