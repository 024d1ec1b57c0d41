"""Tests for the training demos (reference.demo, reference.demos).

The slow tests train each demo on its reduced ("quick") budget and assert the
reduced-budget targets of reference.demos.targets; the fast ones check the
entry point's plumbing without training.
"""

from __future__ import annotations

import pytest

import reference.demo as demo
from reference.data import DEMO_SENTENCE, load_corpus
from reference.demos import DEMOS
from reference.demos.common import DemoResult, report
from reference.demos.targets import BUDGET_NAMES, DEMO_BUDGETS, Budget, Target


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(0)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DEMOS))
def test_quick_budget_meets_its_targets(name, corpus):
    """Each demo, trained on the quick budget, beats its untrained self and meets the quick targets."""
    result = DEMOS[name].run("quick", corpus=corpus, progress=False)
    lines: list[str] = []
    report(result, lines.append)
    assert result.passed, "\n".join(lines)
    assert result.after["loss"] < result.before["loss"]
    assert result.history is not None and result.history.steps == DEMO_BUDGETS[name]["quick"].steps
    if name == "denoising":  # the book's held-out sentence is among the reconstructions shown
        assert any(line.split() == ["original", *DEMO_SENTENCE.split(), "</s>"]
                   for line in result.samples), "\n".join(result.samples)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DEMOS))
def test_demos_are_deterministic(name, corpus):
    """Same seed, same losses and held-out metrics, run twice."""
    tiny = Budget(steps=3, batch_size=8, targets=())
    first, second = (DEMOS[name].run(tiny, corpus=corpus, progress=False) for _ in range(2))
    assert first.history.losses == second.history.losses
    assert first.after == second.after


def test_every_target_names_a_reported_metric():
    """Both budgets of every demo exist and their targets use the metric names the demo reports."""
    reported = {"masked_lm": {"loss", "masked_accuracy"},
                "denoising": {"loss", "token_accuracy", "exact_match"},
                "causal_lm": {"loss", "next_token_accuracy"}}
    assert set(DEMO_BUDGETS) == set(DEMOS) == set(reported)
    for name, budgets in DEMO_BUDGETS.items():
        assert set(budgets) == set(BUDGET_NAMES)
        for budget in budgets.values():
            assert budget.targets and {t.metric for t in budget.targets} <= reported[name]
        assert budgets["quick"].steps < budgets["full"].steps


def _fake_result(name: str, value: float) -> DemoResult:
    return DemoResult(name, {"loss": 5.0}, {"loss": value}, (Target("loss", maximum=1.0),))


@pytest.mark.parametrize("value, code", [(0.5, 0), (2.0, 1)])
def test_main_exit_code_follows_the_targets(monkeypatch, capsys, value, code):
    """main() prints PASS/FAIL per target and returns non-zero when one is missed."""
    monkeypatch.setattr(demo, "load_corpus", lambda seed: load_corpus(seed, num_train=1, num_heldout=1))

    class Fake:
        NAME, TITLE = "fake", "a fake demo"

        @staticmethod
        def run(budget, *, corpus, seed, progress):
            return _fake_result("fake", value)

    monkeypatch.setattr(demo, "DEMOS", {"fake": Fake})
    assert demo.main(["--no-progress"]) == code
    out = capsys.readouterr().out
    assert ("[PASS]" in out) == (code == 0) and ("[FAIL]" in out) == (code == 1)


def test_main_rejects_unknown_names():
    """An unknown demo name is a usage error, not a silent skip."""
    with pytest.raises(SystemExit):
        demo.main(["no_such_demo"])


def test_target_describe_and_check():
    """Targets read as inequalities and check both bounds."""
    assert Target("acc", minimum=0.5).describe() == "acc >= 0.5"
    assert Target("loss", maximum=2).describe() == "loss <= 2"
    assert Target("x", 0, 1).met_by(0.5) and not Target("x", 0, 1).met_by(1.5)
