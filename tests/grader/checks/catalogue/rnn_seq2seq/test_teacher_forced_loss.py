"""Lesson 01, ``teacher_forced_loss``: a bank of correct losses (gather, boolean indexing,
log of softmax, log_softmax taken twice, logsumexp, term by term) passes, visible and
hidden; the tolerance keeps its margin; rows differ in their number of real tokens."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from grader.checks.engine import cases_for
from grader.checks.registry import get
from reference.rnn import teacher_forced_loss

from ._common import assert_passes, assert_within_tolerance, exercise_id, modes, name_of

NAME = "teacher_forced_loss"


def _reduce(total, count, reduction):
    return total if reduction == "sum" else total / count


def loss_gather(logits, labels, reduction="sum"):
    real = labels != -100
    logp = torch.log_softmax(logits, dim=-1)
    picked = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return _reduce(-(picked * real).sum(), real.sum(), reduction)


def loss_boolean_index(logits, labels, reduction="sum"):
    real = labels != -100
    return F.cross_entropy(logits[real], labels[real], reduction=reduction)


def loss_log_of_softmax(logits, labels, reduction="sum"):
    real = labels != -100
    probs = torch.softmax(logits[real], dim=-1)
    nll = -torch.log(probs[torch.arange(len(probs)), labels[real]])
    return nll.sum() if reduction == "sum" else nll.mean()


def loss_log_softmax_twice(logits, labels, reduction="sum"):
    """log_softmax is idempotent, so cross_entropy of log-probabilities is still right."""
    logp = F.log_softmax(logits, dim=-1)
    return F.cross_entropy(logp.flatten(0, 1), labels.flatten(), reduction=reduction)


def loss_logsumexp(logits, labels, reduction="sum"):
    real = labels != -100
    sel, target = logits[real], labels[real]
    nll = torch.logsumexp(sel, dim=-1) - sel.gather(1, target[:, None]).squeeze(1)
    return _reduce(nll.sum(), len(nll), reduction)


def loss_nll_class_dim(logits, labels, reduction="sum"):
    return F.nll_loss(F.log_softmax(logits, -1).transpose(1, 2), labels, reduction=reduction)


def loss_none_then_reduce(logits, labels, reduction="sum"):
    nll = F.cross_entropy(logits.permute(0, 2, 1), labels, reduction="none")  # 0 at -100
    return _reduce(nll.sum(), (labels != -100).sum(), reduction)


def loss_python_terms(logits, labels, reduction="sum"):
    """L = -sum_t log p(y_t | ...) term by term, as the book writes it."""
    terms = []
    logp = logits.log_softmax(-1)
    for b in range(labels.shape[0]):
        for t in range(labels.shape[1]):
            if int(labels[b, t]) != -100:
                terms.append(-logp[b, t, int(labels[b, t])])
    total = torch.stack(terms).sum()
    return total if reduction == "sum" else total / len(terms)


LOSS_ALTERNATIVES = [teacher_forced_loss, loss_gather, loss_boolean_index, loss_log_of_softmax,
                     loss_log_softmax_twice, loss_logsumexp, loss_nll_class_dim,
                     loss_none_then_reduce, loss_python_terms]



@pytest.mark.parametrize("candidate", LOSS_ALTERNATIVES, ids=name_of)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct loss in the bank passes, visible and hidden, for several seeds."""
    assert_passes(NAME, candidate, hidden, seed)


def test_tolerance_holds_with_a_margin():
    """float32 losses against the float64 reference stay 5x inside the tolerance."""
    assert_within_tolerance(NAME, LOSS_ALTERNATIVES)


def test_rows_differ_in_their_number_of_real_tokens():
    """Each case's rows have different numbers of real tokens, so a mean per sentence
    differs from the mean per token."""
    for hidden in (False, True):
        for case in cases_for(get(exercise_id(NAME)), hidden=hidden, seed=3):
            counts = (case.inputs["labels"] != -100).sum(1)
            assert len(set(counts.tolist())) == len(counts)
