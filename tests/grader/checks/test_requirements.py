"""Traceability from spec to test (docs/exercise-contract.md, "Requirements"): every code
exercise lists each requirement its spec states (the task's prose and the docstring the
student reads) with the catalogued mistakes that break it. The contract test proves each
catalogued mistake fails and is named, so a listed requirement is exercised; a
requirement that names no mistake, or a mistake that breaks no listed requirement, fails
here, and a new exercise cannot skip the list."""

from __future__ import annotations

import pytest

from grader.checks.registry import exercises, get
from grader.labkit.answers import AnswerHarness

CODE = [i for i, ex in exercises().items() if not isinstance(ex.harness, AnswerHarness)]


@pytest.mark.parametrize("exercise_id", CODE)
def test_every_requirement_is_broken_by_a_catalogued_mistake(exercise_id: str) -> None:
    """The exercise lists its requirements, each naming catalogued mistakes that break it."""
    entry = get(exercise_id).entry
    assert entry.requirements, "no requirement listed for this exercise"
    ids = {m.id for m in entry.mistakes}
    for requirement in entry.requirements:
        assert requirement.text and requirement.broken_by, requirement
        assert set(requirement.broken_by) <= ids, (requirement.text,
                                                   set(requirement.broken_by) - ids)


@pytest.mark.parametrize("exercise_id", CODE)
def test_every_catalogued_mistake_breaks_a_listed_requirement(exercise_id: str) -> None:
    """A mistake that breaks no listed requirement means the list misses a requirement."""
    entry = get(exercise_id).entry
    listed = {i for r in entry.requirements for i in r.broken_by}
    assert {m.id for m in entry.mistakes} - listed == set()
