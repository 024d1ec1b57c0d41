"""The exercise contract (docs/exercise-contract.md), checked once for every exercise of
the registry: what holds for every exercise is tested here, parametrised over
``grader.list_exercises()``; the per-lesson files under ``catalogue/`` keep only what is
specific to a lesson (banks of correct alternatives, extra wrong answers, tolerances).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import grader
from grader.checks.engine import cases_for
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import Exercise, get
from grader.labkit import notebook
from grader.labkit.answers import AnswerHarness

IDS = grader.list_exercises()
#: Hidden seeds every exercise is checked with (visible cases are fixed).
SEEDS = (3, 11)
#: The most lines any feedback may take; a not-implemented answer gets far fewer.
MAX_FEEDBACK_LINES = 25
MAX_NOT_IMPLEMENTED_LINES = 3


def _kind(ex: Exercise) -> str:
    if isinstance(ex.harness, AnswerHarness):
        return "question"
    return "class" if inspect.isclass(ex.entry.reference) else "function"


#: (hidden, seed): the visible cases, and hidden cases from each seed.
MODES = [pytest.param(False, None, id="visible"),
         *(pytest.param(True, s, id=f"hidden{s}") for s in SEEDS)]
#: The visible cases and one hidden seed: what every failing candidate is judged on.
FAIL_MODES = MODES[:2]


def _mistake_params() -> list[Any]:
    # By position: two implementations of one mistake may share its id.
    return [pytest.param(i, n, id=f"{i}:{m.id}") for i in IDS
            for n, m in enumerate(get(i).entry.mistakes)]


# --- tamper objects ---------------------------------------------------------------------

class AlwaysEqualTensor(torch.Tensor):
    """A tensor subclass whose every comparison claims success."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("equal", "allclose"):
            return True
        if name in ("isclose", "eq", "__eq__", "ne", "__ne__"):
            first = next(a for a in args if isinstance(a, torch.Tensor))
            return torch.full(first.shape, name not in ("ne", "__ne__"), dtype=torch.bool)
        return super().__torch_function__(func, types, args, kwargs or {})


class AlwaysEqual:
    """Not a tensor at all: equal to everything, and every attribute is itself."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__

    def __getattr__(self, name: str) -> Any:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self


def _lie(out: Any) -> Any:
    """Wrong values in lying tensors, in the structure the reference returned."""
    if type(out) is torch.Tensor:
        wrong = ~out if out.dtype == torch.bool else torch.full_like(out.detach(), 7)
        return wrong.as_subclass(AlwaysEqualTensor)
    if isinstance(out, (tuple, list)):
        return type(out)(_lie(o) for o in out)
    if isinstance(out, dict):
        return {k: _lie(v) for k, v in out.items()}
    return AlwaysEqual()


def _tensor_liar(ex: Exercise) -> Any:
    """A candidate that returns the reference's structure with wrong values in a tensor
    subclass that claims to equal anything."""
    ref = ex.entry.reference
    if inspect.isclass(ref):
        return type("Liar", (ref,), {"forward": lambda self, *a, **k: _lie(ref.forward(self, *a, **k))})
    return lambda *a, **k: _lie(ref(*a, **k))


def _object_liar(ex: Exercise) -> Any:
    """A candidate that returns an object equal to everything, computing nothing."""
    ref = ex.entry.reference
    if _kind(ex) == "question":
        return AlwaysEqual()
    if inspect.isclass(ref):
        return type("Liar", (ref,), {"forward": lambda self, *a, **k: AlwaysEqual()})
    return lambda *a, **k: AlwaysEqual()


def _not_implemented(ex: Exercise) -> Any:
    """What an untouched exercise is: ``...`` for a question, else code that raises."""
    if _kind(ex) == "question":
        return ...
    if _kind(ex) == "class":
        class Untouched(nn.Module):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__()
                raise NotImplementedError()
        return Untouched

    def untouched(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError()
    return untouched


# --- the visible path through fixtures.pt ----------------------------------------------

@lru_cache(maxsize=None)
def _fixtures_file(lesson: str, folder: str) -> Path:
    path = Path(folder) / f"{lesson}.pt"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        torch.save(build_fixtures(lesson), path)
    return path


@pytest.fixture(scope="session")
def fixtures_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("fixtures"))


def _visible(ex: Exercise, candidate: Any, path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> tuple[bool, str]:
    """``labkit.check`` as a student's kernel runs it, against the lesson's fixtures."""
    monkeypatch.setattr(notebook, "fixtures_path", lambda: path)
    try:
        notebook.check(ex.name, candidate)
    except notebook.CheckFailed as exc:
        return False, str(exc)
    return True, ""


# --- the contract -----------------------------------------------------------------------

@pytest.mark.parametrize("hidden, seed", MODES)
@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_passes_visible_and_hidden(exercise_id: str, hidden: bool, seed: int | None
                                             ) -> None:
    """The exercise's own reference passes its visible cases and hidden cases of two seeds."""
    result = grader.check(exercise_id, get(exercise_id).entry.reference, hidden=hidden, seed=seed)
    assert result.passed, result.feedback


@pytest.mark.parametrize("hidden, seed", FAIL_MODES)
@pytest.mark.parametrize("exercise_id, index", _mistake_params())
def test_catalogued_mistake_is_named_visible_and_hidden(exercise_id: str, index: int,
                                                        hidden: bool, seed: int | None) -> None:
    """Every catalogued mistake fails, is named by its own id (visible and hidden), and
    its feedback carries its hint in at most MAX_FEEDBACK_LINES lines."""
    m = get(exercise_id).entry.mistakes[index]
    result = grader.check(exercise_id, m.fn, hidden=hidden, seed=seed)
    assert not result.passed, result.feedback
    assert result.mistake == m.id, (result.mistake, result.feedback)
    assert m.hint in result.feedback
    assert len(result.feedback.splitlines()) <= MAX_FEEDBACK_LINES, result.feedback


@pytest.mark.parametrize("exercise_id", IDS)
def test_mistake_ids_are_unique_and_hints_written(exercise_id: str) -> None:
    """A mistake id names one diagnosis within an exercise (two variants of one mistake
    may share it, with the same hint), and every hint is prose."""
    mistakes = get(exercise_id).entry.mistakes
    hints: dict[str, str] = {}
    for m in mistakes:
        assert hints.setdefault(m.id, m.hint) == m.hint, m.id
    assert all(m.id.isidentifier() and len(m.hint.split()) >= 5 for m in mistakes)


@pytest.mark.parametrize("hidden, seed", FAIL_MODES)
@pytest.mark.parametrize("exercise_id", IDS)
def test_not_implemented_fails_cleanly_and_briefly(exercise_id: str, hidden: bool,
                                                   seed: int | None) -> None:
    """An untouched exercise fails as ``not_implemented`` in a few lines, no traceback."""
    result = grader.check(exercise_id, _not_implemented(get(exercise_id)), hidden=hidden,
                          seed=seed)
    assert not result.passed
    assert result.mistake == "not_implemented", result.feedback
    assert "Traceback" not in result.feedback
    assert len(result.feedback.splitlines()) <= MAX_NOT_IMPLEMENTED_LINES, result.feedback


def _answers_in_place(ex: Exercise) -> bool:
    """Whether the reference answers by changing its arguments (a model frozen or loaded
    in place) and returns None: a liar built on it would do the real work."""
    if _kind(ex) != "function":
        return _kind(ex) == "question"
    returned: list[Any] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        returned.append(ex.entry.reference(*args, **kwargs))
        return returned[-1]

    case = cases_for(ex, hidden=False, seed=None)[0]
    ex.harness.run(spy, case)
    return all(r is None for r in returned)


def _tamper_params() -> list[Any]:
    # A question's answer, or a model changed in place, is not a returned tensor: the
    # always-equal object (which computes nothing) is their tamper case.
    return [pytest.param(i, liar, id=f"{i}:{liar.__name__.strip('_')}") for i in IDS
            for liar in (_tensor_liar, _object_liar)
            if not (liar is _tensor_liar and _answers_in_place(get(i)))]


@pytest.mark.parametrize("hidden, seed", FAIL_MODES)
@pytest.mark.parametrize("exercise_id, make_liar", _tamper_params())
def test_tamper_objects_fail(exercise_id: str, make_liar: Callable[[Exercise], Any],
                             hidden: bool, seed: int | None) -> None:
    """Outputs that lie about equality (a tensor subclass, an always-equal object) fail."""
    result = grader.check(exercise_id, make_liar(get(exercise_id)), hidden=hidden, seed=seed)
    assert not result.passed, result.feedback


def _parity_params() -> list[Any]:
    return [pytest.param(i, None, id=f"{i}:reference") for i in IDS] + _mistake_params()


@pytest.mark.parametrize("exercise_id, index", _parity_params())
def test_visible_check_agrees_with_the_trusted_check(exercise_id: str, index: int | None,
                                                     fixtures_dir: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``labkit.check`` in a kernel (against fixtures.pt) and the trusted grader give the
    same verdict on the reference and on each catalogued mistake, with the same hint."""
    ex = get(exercise_id)
    candidate = ex.entry.reference if index is None else ex.entry.mistakes[index].fn
    trusted = grader.check(exercise_id, candidate)
    passed, feedback = _visible(ex, candidate, _fixtures_file(ex.lesson, fixtures_dir),
                                monkeypatch)
    assert passed == trusted.passed, (feedback, trusted.feedback)
    if index is not None:
        hint = next(m.hint for m in ex.entry.mistakes if m.id == trusted.mistake)
        assert hint in feedback, feedback
