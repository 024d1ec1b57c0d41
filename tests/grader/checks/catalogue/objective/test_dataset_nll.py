"""Lesson 07, ``dataset_nll``: the bank of correct alternatives."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import grader
from reference.objectives import dataset_nll

from ._common import measure_errors, modes, xid
from .test_sequence_log_prob import slp_gather_where


def nll_cross_entropy(logits, targets, reduction="sum", ignore_index=-100):
    per_token = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=ignore_index,
                                reduction="none")  # (B, T)
    per_seq = per_token.sum(1)
    n = (targets != ignore_index).sum(1)
    if reduction == "sum":
        return per_seq.sum()
    if reduction == "mean":
        return per_seq.mean()
    if reduction == "token_mean":
        return per_seq.sum() / n.sum()
    if reduction == "length_normalized":
        return (per_seq / n).mean()
    raise ValueError(reduction)


def nll_from_sequence_log_prob(logits, targets, reduction="sum", ignore_index=-100):
    """Built on a sequence log-probability, as the notebook suggests."""
    nll = -slp_gather_where(logits, targets, ignore_index)
    lengths = (targets != ignore_index).sum(-1).to(nll.dtype)
    return {"sum": lambda: nll.sum(), "mean": lambda: nll.sum() / len(nll),
            "token_mean": lambda: nll.sum() / lengths.sum(),
            "length_normalized": lambda: (nll / lengths).sum() / len(nll)}[reduction]()


def nll_builtin_reductions(logits, targets, reduction="sum", ignore_index=-100):
    """F.cross_entropy's own 'sum' and 'mean' (a per-token mean with ignore_index)."""
    flat_logits, flat_targets = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    if reduction == "sum":
        return F.cross_entropy(flat_logits, flat_targets, ignore_index=ignore_index, reduction="sum")
    if reduction == "mean":
        total = F.cross_entropy(flat_logits, flat_targets, ignore_index=ignore_index, reduction="sum")
        return total / targets.shape[0]
    if reduction == "token_mean":
        return F.cross_entropy(flat_logits, flat_targets, ignore_index=ignore_index)
    means = [F.cross_entropy(logits[b], targets[b], ignore_index=ignore_index)
             for b in range(targets.shape[0])]
    return torch.stack(means).mean()


def nll_masked_mean(logits, targets, reduction="sum", ignore_index=-100):
    keep = targets != ignore_index
    lp = F.log_softmax(logits, -1).gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    per_token = -lp * keep
    if reduction == "sum":
        return per_token.sum()
    if reduction == "mean":
        return per_token.sum(1).mean()
    if reduction == "token_mean":
        return per_token[keep].mean()
    return (per_token.sum(1) / keep.sum(1)).mean()


BANK = [dataset_nll, nll_cross_entropy, nll_from_sequence_log_prob, nll_builtin_reductions,
        nll_masked_mean]


@pytest.mark.parametrize("candidate", BANK, ids=lambda c: c.__name__)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct implementation in the bank passes, visible and hidden."""
    result = grader.check(xid("dataset_nll"), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


def test_tolerance_keeps_its_margin():
    """The bank stays well inside the tolerance (about a tenth of it, measured over
    200 seeds by ``python -m tests.grader.checks.catalogue.objective.measure``; a few seeds here)."""
    worst = measure_errors("dataset_nll", BANK, seeds=range(3))
    assert worst["fraction_of_tolerance"] < 0.3, worst
