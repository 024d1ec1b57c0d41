"""Lesson 07, ``causal_lm_loss``: the bank of correct alternatives and what the cases hold."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import grader
import grader.checks.engine as engine
from grader.checks.registry import get
from reference.objectives import causal_lm_loss

from ._common import measure_errors, modes, xid
from .test_dataset_nll import nll_cross_entropy


def clm_cross_entropy_pad_as_ignore(logits, input_ids, pad_id=0):
    """pad_id itself as F.cross_entropy's ignore_index."""
    return F.cross_entropy(logits[:, :-1].transpose(1, 2), input_ids[:, 1:], ignore_index=pad_id)


def clm_flat_minus_100(logits, input_ids, pad_id=0):
    targets = input_ids[:, 1:].masked_fill(input_ids[:, 1:] == pad_id, -100)
    v = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, v), targets.reshape(-1))


def clm_boolean_index(logits, input_ids, pad_id=0):
    preds, targets = logits[:, :-1], input_ids[:, 1:]
    keep = targets != pad_id
    return F.cross_entropy(preds[keep], targets[keep])


def clm_log_softmax_sum(logits, input_ids, pad_id=0):
    lp = F.log_softmax(logits[:, :-1], dim=-1)
    targets = input_ids[:, 1:]
    keep = (targets != pad_id).to(lp.dtype)
    picked = lp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return -(picked * keep).sum() / keep.sum()


def clm_via_dataset_nll(logits, input_ids, pad_id=0):
    """The notebook's way: shift, mark padding -100, then the per-token mean NLL."""
    targets = input_ids[:, 1:].masked_fill(input_ids[:, 1:] == pad_id, -100)
    return nll_cross_entropy(logits[:, :-1], targets, reduction="token_mean")


def clm_loop(logits, input_ids, pad_id=0):
    total, count = logits.new_zeros(()), 0
    for b in range(input_ids.shape[0]):
        for t in range(input_ids.shape[1] - 1):
            y = int(input_ids[b, t + 1])
            if y == pad_id:
                continue
            total = total - torch.log_softmax(logits[b, t], dim=0)[y]
            count += 1
    return total / count


BANK = [causal_lm_loss, clm_cross_entropy_pad_as_ignore, clm_flat_minus_100, clm_boolean_index,
        clm_log_softmax_sum, clm_via_dataset_nll, clm_loop]


@pytest.mark.parametrize("candidate", BANK, ids=lambda c: c.__name__)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct implementation in the bank passes, visible and hidden."""
    result = grader.check(xid("causal_lm_loss"), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


def test_tolerance_keeps_its_margin():
    """The bank stays well inside the tolerance (about a tenth of it, measured over
    200 seeds by ``python -m tests.grader.checks.catalogue.objective.measure``; a few seeds here)."""
    worst = measure_errors("causal_lm_loss", BANK, seeds=range(3))
    assert worst["fraction_of_tolerance"] < 0.3, worst


def test_cases_hold_what_the_mistakes_need():
    """Ragged rows, and a pad id other than the default next to real tokens with id 0."""
    for hidden in (False, True):
        clm = engine.cases_for(get(xid("causal_lm_loss")), hidden=hidden, seed=2)
        ids, pad_id = clm[2].inputs["input_ids"], clm[2].args["pad_id"]
        assert pad_id != 0 and (ids == 0).any() and (ids == pad_id).any()
        lengths = (clm[1].inputs["input_ids"] != 0).sum(1)
        assert len(set(lengths.tolist())) > 1
