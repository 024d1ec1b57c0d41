"""What lesson 06's test files share: the lesson's ids, the boundary helpers
the banks use, the visible and hidden modes and the checks
every randomised judge must pass."""

from __future__ import annotations

from collections.abc import Callable

import torch

import grader
from grader.checks import engine
from grader.checks.catalogue import Entry
from grader.checks.engine import cases_for
from grader.checks.registry import get

LESSON = "06_denoising"
SEEDS = (1, 2, 3)
LEADING, TRAILING = (2, 5), (3, 6)  # [CLS], <s> / [SEP], </s>
#: The six corruptions: randomised, judged by invariants and statistics.
RANDOMISED = ("token_masking", "token_deletion", "text_infilling", "sentence_permutation",
              "document_rotation", "span_corruption")


def exercise_id(name: str) -> str:
    return f"{LESSON}/{name}"


def _split(tokens):
    """(head, body, tail) as lists: the leading [CLS]/<s> run, the body, the trailing [SEP]/</s> run."""
    values = tokens.tolist()
    start = 0
    while start < len(values) and values[start] in LEADING:
        start += 1
    end = len(values)
    while end > start and values[end - 1] in TRAILING:
        end -= 1
    return values[:start], values[start:end], values[end:]


def _join(head, body, tail):
    return torch.tensor([*head, *body, *tail], dtype=torch.long)


def modes() -> list[tuple[bool, int | None]]:
    return [(False, None)] + [(True, s) for s in SEEDS]


def entries() -> dict[str, Entry]:
    """The lesson's catalogue entries by exercise name."""
    return {i.split("/", 1)[1]: get(i).entry for i in grader.list_exercises(LESSON)}


def assert_judge_ignores_reference_draws(name: str, alternative: Callable) -> None:
    """A randomised judge decides from the candidate's outputs alone: removing the
    reference's and the mistakes' outputs changes no verdict (on ``alternative`` and on
    the first catalogued mistake)."""
    ex = get(exercise_id(name))
    h = ex.harness
    for candidate in (alternative, ex.entry.mistakes[0].fn):
        for case in cases_for(ex, hidden=True, seed=11):
            got = h.run(candidate, case)
            expected, mistakes = engine.expected_and_mistakes(ex, case)
            a = h.judge(got, expected, mistakes, case, hidden=True)
            b = h.judge(got, {}, [], case, hidden=True)
            assert (a.passed, a.mistake, a.feedback) == (b.passed, b.mistake, b.feedback)


def assert_no_false_alarms(name: str, alternatives: list[Callable]) -> None:
    """False alarms: correct implementations on 6 fresh hidden seeds each (bounds are
    about 5 standard errors; ``python -m tests.grader.checks.catalogue.denoising.measure``
    runs 100 seeds of every alternative, and found none)."""
    ex = get(exercise_id(name))
    for candidate in alternatives:
        for seed in range(100, 106):
            for case in cases_for(ex, hidden=True, seed=seed):
                verdict = ex.harness.judge(ex.harness.run(candidate, case), {}, [], case, hidden=True)
                assert verdict.passed, verdict.feedback
