"""Lesson 06, ``seq2seq_loss``: its bank of correct alternatives, ``ALTERNATIVES`` (``test_lesson.py``
runs every bank, visible and hidden), and the margin of its tolerance."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.checks.engine import cases_for
from grader.checks.registry import get
from reference.denoising import seq2seq_loss

from ._common import (
    exercise_id,
)

NAME = "seq2seq_loss"


def loss_transpose(logits, labels, reduction="mean"):
    return F.cross_entropy(logits.transpose(1, 2), labels, reduction=reduction)


def loss_flat(logits, labels, reduction="mean"):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                           ignore_index=-100, reduction=reduction)


def loss_gather(logits, labels, reduction="mean"):
    keep = labels != -100
    logp = F.log_softmax(logits, dim=-1).gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    total = -torch.where(keep, logp, torch.zeros_like(logp)).sum()
    return total if reduction == "sum" else total / keep.sum()


def loss_logsumexp(logits, labels, reduction="mean"):
    keep = labels != -100
    sel, target = logits[keep], labels[keep]
    nll = torch.logsumexp(sel, dim=-1) - sel[torch.arange(len(sel)), target]
    return nll.sum() if reduction == "sum" else nll.mean()


def loss_per_row(logits, labels, reduction="mean"):
    """Row by row, summed, then divided by the number of target tokens of the whole batch."""
    total = sum(F.nll_loss(F.log_softmax(logits[b], -1), labels[b], reduction="sum")
                for b in range(labels.shape[0]))
    return total if reduction == "sum" else total / (labels != -100).sum()


ALTERNATIVES = [seq2seq_loss, loss_transpose, loss_flat, loss_gather, loss_logsumexp, loss_per_row]


def test_tolerance_holds_with_a_margin():
    """float32 alternatives against the float64 reference stay 5x inside the tolerance
    (the full measurement, 300 seeds, is quoted beside the tolerance)."""
    ex = get(exercise_id("seq2seq_loss"))
    tol = ex.harness.tolerance
    for seed in range(10):
        for case in cases_for(ex, hidden=True, seed=seed):
            expected = ex.harness.run(seq2seq_loss, case, torch.float64)
            for alt in ALTERNATIVES:
                got = ex.harness.run(alt, case)
                for key, exp in expected.items():
                    err = (got[key].double() - exp).abs()
                    assert (err <= (tol.atol + tol.rtol * exp.abs()) / 5).all(), (alt.__name__, key)
