"""Lesson 08, ``CLSClassifier``: the bank of correct classifiers passes, a classifier
with parameters of its own is told which, and the cases' weights are the reference
classifier's (``reference.models.SequenceClassifier``)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import grader
from grader.labkit.exercises.finetuning.CLSClassifier import classifier_params
from reference.data import pad
from reference.models import MaskedLM, SequenceClassifier

from ._bank import ClsIndexing, bank_params, config, modes, xid

ID = xid("CLSClassifier")


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("candidate", bank_params("CLSClassifier"))
def test_correct_alternative_passes(candidate, hidden, seed):
    """Any correct classifier passes: [CLS] read by indexing, select, narrow or arange,
    the stack unrolled, or built on the reference's EncoderBody."""
    result = grader.check(ID, candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


def test_classifier_with_extra_parameters_is_told_which():
    """A classifier with parameters of its own (a pooler, say) is told which are unexpected."""
    class WithPooler(ClsIndexing):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.pooler = nn.Linear(self.classifier.in_features, self.classifier.in_features)

    result = grader.check(ID, WithPooler)
    assert not result.passed
    assert "unexpected pooler.bias, pooler.weight" in result.feedback


def test_harness_parameters_are_the_reference_classifiers():
    """The classifier cases name their weights as SequenceClassifier (and MaskedLM's body) do."""
    cfg = config()
    names = classifier_params(torch.Generator().manual_seed(0), cfg.vocab_size, cfg.d_model,
                              cfg.d_ff, cfg.num_encoder_layers, cfg.num_labels)
    want = {k: tuple(v.shape) for k, v in SequenceClassifier(cfg).state_dict().items()}
    assert {k[len("param:"):]: tuple(v.shape) for k, v in names.items()} == want
    body = {k for k in MaskedLM(cfg).state_dict() if not k.startswith("mlm_head.")}
    assert body == {k for k in want if not k.startswith("classifier.")}


def test_student_layout_computes_the_reference_classifier():
    """The solution's layout (TransformerEmbedding + Encoder + dropout + classifier) with the
    reference's weights gives SequenceClassifier's logits, padding and all."""
    cfg = config()
    ref = SequenceClassifier(cfg).eval()
    mine = ClsIndexing(cfg.vocab_size, cfg.num_labels, cfg.d_model, cfg.num_heads, cfg.d_ff,
                       cfg.num_encoder_layers, cfg.max_len).eval()
    mine.load_state_dict(ref.state_dict())
    ids = pad([[2, 20, 21, 22, 3], [2, 30, 3], [2, 25, 26, 3]])
    torch.testing.assert_close(mine(ids), ref(ids))
