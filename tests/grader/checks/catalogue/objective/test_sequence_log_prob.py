"""Lesson 07, ``sequence_log_prob``: the bank of correct alternatives, a wrong value that no
mistake names, and what the cases hold."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import grader
import grader.checks.engine as engine
from grader.checks.registry import get
from reference.objectives import sequence_log_prob

from ._common import measure_errors, modes, xid


def slp_cross_entropy(logits, targets, ignore_index=-100):
    """F.cross_entropy with the classes in dimension 1 gives the per-token NLL."""
    nll = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=ignore_index, reduction="none")
    return -nll.sum(dim=1)


def slp_gather_where(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    lp = torch.log_softmax(logits, dim=-1)
    picked = lp.gather(2, torch.where(keep, targets, 0).unsqueeze(2)).squeeze(2)
    return torch.where(keep, picked, 0.0).sum(1)


def slp_logsumexp(logits, targets, ignore_index=-100):
    keep = (targets != ignore_index).to(logits.dtype)
    safe = targets.clamp(min=0) * (targets != ignore_index)
    score = logits.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    return ((score - torch.logsumexp(logits, dim=-1)) * keep).sum(-1)


def slp_one_hot(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    one_hot = F.one_hot(targets.masked_fill(~keep, 0), logits.shape[-1]).to(logits.dtype)
    per_token = (one_hot * F.log_softmax(logits, -1)).sum(-1)
    return (per_token * keep).sum(-1)


def slp_loops(logits, targets, ignore_index=-100):
    """Plain Python over sequences and positions."""
    lp = F.log_softmax(logits, dim=-1)
    out = []
    for b in range(targets.shape[0]):
        total = lp.new_zeros(())
        for t in range(targets.shape[1]):
            y = int(targets[b, t])
            if y != ignore_index:
                total = total + lp[b, t, y]
        out.append(total)
    return torch.stack(out)


def slp_log_of_softmax(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    probs = torch.softmax(logits, dim=-1)
    picked = probs.gather(-1, targets.masked_fill(~keep, 0)[..., None])[..., 0]
    return torch.log(picked).masked_fill(~keep, 0.0).sum(-1)


def slp_index_add(logits, targets, ignore_index=-100):
    """Boolean selection of the kept positions, summed back per sequence with index_add."""
    keep = targets != ignore_index
    rows, cols = keep.nonzero(as_tuple=True)
    lp = F.log_softmax(logits, dim=-1)[rows, cols, targets[rows, cols]]
    return torch.zeros(targets.shape[0], dtype=logits.dtype).index_add(0, rows, lp)


def slp_nll_loss(logits, targets, ignore_index=-100):
    lp = F.log_softmax(logits, dim=-1)
    return -F.nll_loss(lp.permute(0, 2, 1), targets, ignore_index=ignore_index, reduction="none").sum(-1)


BANK = [sequence_log_prob, slp_cross_entropy, slp_gather_where, slp_logsumexp, slp_one_hot,
        slp_loops, slp_log_of_softmax, slp_index_add, slp_nll_loss]


@pytest.mark.parametrize("candidate", BANK, ids=lambda c: c.__name__)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct implementation in the bank passes, visible and hidden."""
    result = grader.check(xid("sequence_log_prob"), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


def test_tolerance_keeps_its_margin():
    """The bank stays well inside the tolerance (about a tenth of it, measured over
    200 seeds by ``python -m tests.grader.checks.catalogue.objective.measure``; a few seeds here)."""
    worst = measure_errors("sequence_log_prob", BANK, seeds=range(3))
    assert worst["fraction_of_tolerance"] < 0.3, worst


def test_an_unknown_wrong_value_gets_a_general_hint():
    """A wrong log-probability that matches no catalogued mistake but is positive is
    told that log-probabilities are at most 0."""
    def doubled_logits(logits, targets, ignore_index=-100):
        return 2 * slp_gather_where(logits, targets, ignore_index).abs() + 1

    result = grader.check(xid("sequence_log_prob"), doubled_logits)
    assert not result.passed and result.mistake is None
    assert "at most 0" in result.feedback


def test_cases_hold_what_the_mistakes_need():
    """Ragged rows with ignored positions inside and at the end, T != V, and an
    ignore_index other than the default."""
    for hidden in (False, True):
        cases = engine.cases_for(get(xid("sequence_log_prob")), hidden=hidden, seed=2)
        b, t, v = cases[0].inputs["logits"].shape
        assert t != v and b > 2
        targets = cases[1].inputs["targets"]
        assert (targets == -100).any() and (targets[:, -1] != -100).any()
        assert cases[2].args["ignore_index"] != -100
