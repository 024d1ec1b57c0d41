"""Lesson 08, ``freeze_layers``: the bank of correct freezings passes, and does on real
models what ``SequenceClassifier.freeze_layers`` does; ways of freezing nothing that the
catalogue lacks are still named, and changing a weight is reported."""

from __future__ import annotations

import pytest
import torch

import grader
from grader.checks.registry import get
from reference.models import SequenceClassifier

from ._bank import BANK, bank_params, config, freeze_reference_style, modes, xid

ID = xid("freeze_layers")


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("candidate", bank_params("freeze_layers"))
def test_correct_alternative_passes(candidate, hidden, seed):
    """Any correct freezing passes: by module, by parameter name, by chain, unfreezing
    everything first, or returning the model as well."""
    result = grader.check(ID, candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


def test_freeze_diagnoses_ways_of_freezing_nothing_outside_the_catalogue():
    """Freezing nothing is named by how it was done, even in code the catalogue lacks:
    a requires_grad attribute on the modules, eval(), or no visible trace."""
    def attribute_everywhere(model, num_layers):
        for m in model.modules():
            m.requires_grad = False

    def eval_everything(model, num_layers):
        model.eval()

    def inside_no_grad(model, num_layers):
        with torch.no_grad():
            model.embedding.token.weight.mul_(1.0)

    for fn, mid in ((attribute_everywhere, "requires_grad_on_module"),
                    (eval_everything, "eval_instead_of_freezing"), (inside_no_grad, "nothing_frozen")):
        result = grader.check(ID, fn)
        assert not result.passed and result.mistake == mid, result.feedback


def test_freeze_that_changes_weights_fails():
    """Freezing must switch requires_grad only: changing a weight is reported."""
    def zeroes(model, num_layers):
        freeze_reference_style(model, num_layers)
        with torch.no_grad():
            model.classifier.bias.zero_()

    result = grader.check(ID, zeroes)
    assert not result.passed and result.mistake == "changes_weights", result.feedback


def test_bank_agrees_with_the_reference_model():
    """The entry's reference and every bank alternative do on real models what
    SequenceClassifier.freeze_layers does, one call or several."""
    cfg = config()
    for calls in ([0], [1], [3], [3, 1], [2, 0]):
        ref = SequenceClassifier(cfg)
        for n in calls:
            ref.freeze_layers(n)
        for fn in [get(ID).entry.reference, *BANK["freeze_layers"]]:
            model = SequenceClassifier(cfg)
            for n in calls:
                fn(model, n)
            assert [p.requires_grad for p in model.parameters()] == \
                [p.requires_grad for p in ref.parameters()], (fn.__name__, calls)
