"""What lesson 07's test files share: the lesson's ids, the visible and hidden
modes and the tolerance measurement."""

from __future__ import annotations

import pytest

import grader
from grader.checks.catalogue import Entry
from grader.checks.registry import get
from grader.labkit.exercises.objective.train_step import LEFT_PREFIX

from .. import _shared as shared

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
    of ``candidates`` run in float32 against the float64 reference (train_step's
    parameters left behind are not compared)."""
    return shared.measure_errors(xid(name), candidates, seeds, skip_prefixes=(LEFT_PREFIX,))
