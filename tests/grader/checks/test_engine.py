"""The trusted engine (grader/checks/engine.py): the mistake catalogue is run only when a
judge needs it, and a failure is still named."""

from __future__ import annotations

import pytest

import grader
from grader.checks import engine
from grader.checks.registry import get

EXERCISES = ["02_attention/scaled_dot_product_attention", "06_denoising/token_masking"]


@pytest.fixture
def catalogue_runs(monkeypatch):
    """Count how often a LazyMistakes computes the catalogue."""
    runs = []
    original = engine.LazyMistakes._all

    def counted(self):
        if self._items is None:
            runs.append(self._case.name)
        return original(self)

    monkeypatch.setattr(engine.LazyMistakes, "_all", counted)
    return runs


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_a_correct_answer_never_runs_the_catalogue(exercise_id, catalogue_runs):
    """Passing on visible and hidden cases needs the reference alone."""
    reference = get(exercise_id).entry.reference
    for hidden in (False, True):
        result = grader.check(exercise_id, reference, hidden=hidden, seed=3)
        assert result.passed, result.feedback
    assert catalogue_runs == []


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_a_catalogued_mistake_is_still_named(exercise_id):
    """Laziness changes no verdict: the first catalogued mistake is found and named."""
    mistake = get(exercise_id).entry.mistakes[0]
    result = grader.check(exercise_id, mistake.fn, hidden=True, seed=3)
    assert not result.passed
    assert result.mistake == mistake.id


def test_lazy_mistakes_behaves_as_a_list_of_the_catalogue():
    """len, iteration and indexing give the catalogue's mistakes in order; it is truthy
    before it is computed, so `mistakes or []` keeps it lazy."""
    ex = get(EXERCISES[0])
    case = engine.cases_for(ex, hidden=False, seed=None)[0]
    lazy = engine.LazyMistakes(ex, case)
    assert lazy and not lazy.computed
    assert [m.id for m in lazy] == [m.id for m in ex.entry.mistakes]
    assert len(lazy) == len(ex.entry.mistakes) and lazy[0].id == ex.entry.mistakes[0].id
    assert lazy.computed


@pytest.mark.parametrize("exercise_id", ["06_denoising/token_masking", "05_masked_lm/mask_tokens"])
def test_randomised_judges_never_run_the_reference(exercise_id, monkeypatch):
    """The statistical judges decide from the answer alone, so checking a correct
    answer on hidden cases computes neither the reference nor the catalogue."""
    made = []
    original = engine.expected_and_mistakes

    def spy(ex, case):
        pair = original(ex, case)
        made.append(pair)
        return pair

    monkeypatch.setattr(engine, "expected_and_mistakes", spy)
    result = grader.check(exercise_id, get(exercise_id).entry.reference, hidden=True, seed=5)
    assert result.passed, result.feedback
    assert made and not any(e.computed or m.computed for e, m in made)


def test_lazy_expected_reads_as_the_references_outputs():
    """Mapping access computes the reference once and gives its outputs."""
    ex = get(EXERCISES[0])
    case = engine.cases_for(ex, hidden=False, seed=None)[0]
    lazy, _ = engine.expected_and_mistakes(ex, case)
    assert not lazy.computed
    direct = ex.harness.run(ex.entry.reference, case, engine.torch.float64)
    assert set(lazy) == set(direct) and lazy.computed
    assert all(engine.torch.equal(lazy[k], direct[k]) for k in direct
               if isinstance(direct[k], engine.torch.Tensor))
