"""Lesson 08, ``load_pretrained_encoder``: the bank of correct copies passes, and does on
real models what ``SequenceClassifier.load_pretrained_encoder`` does; replacing the head
is named."""

from __future__ import annotations

import copy

import pytest
import torch

import grader
from grader.checks.registry import get
from reference.models import MaskedLM, SequenceClassifier

from ._bank import BANK, bank_params, config, load_module_by_module, modes, xid

ID = xid("load_pretrained_encoder")


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("candidate", bank_params("load_pretrained_encoder"))
def test_correct_alternative_passes(candidate, hidden, seed):
    """Any correct copy passes: by state dict (module by module, filtered, or not strict),
    by parameter name, by deepcopy, or zipping the body's parameters."""
    result = grader.check(ID, candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


def test_load_that_replaces_the_head_fails():
    """The classifier keeps its parameters: replacing its head by the MLM head is named."""
    def mlm_head_as_classifier(classifier, masked_lm):
        load_module_by_module(classifier, masked_lm)
        classifier.classifier = copy.deepcopy(masked_lm.mlm_head)

    result = grader.check(ID, mlm_head_as_classifier, hidden=True, seed=2)
    assert not result.passed and result.mistake == "parameters_renamed", result.feedback
    assert "unexpected classifier.dense.weight" in result.feedback


def test_bank_agrees_with_the_reference_model():
    """The entry's reference and every bank alternative do on real models what
    SequenceClassifier.load_pretrained_encoder does."""
    cfg = config()
    torch.manual_seed(1)
    mlm = MaskedLM(cfg)
    want = SequenceClassifier(cfg)
    state = copy.deepcopy(want.state_dict())
    want.load_pretrained_encoder(mlm)
    for fn in [get(ID).entry.reference, *BANK["load_pretrained_encoder"]]:
        got = SequenceClassifier(cfg)
        got.load_state_dict(state)
        fn(got, mlm)
        for (k, a), b in zip(want.state_dict().items(), got.state_dict().values(), strict=True):
            assert torch.equal(a, b), (fn.__name__, k)
