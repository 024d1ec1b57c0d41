"""Lesson 11's randomised exercises: over many hidden seeds a correct answer passes and each
statistic stays clear of its bound; the rivals the judges name land on the other side."""

from __future__ import annotations

import pytest
import torch

import grader
import grader.checks.engine as engine
from grader.checks.catalogue.beyond_bert import span_masking as span_catalogue
from grader.checks.registry import get
from grader.labkit.exercises.beyond_bert.span_masking import MAX_MIXED_SHARE, MIN_MEAN_RUN, _runs

from ._bank import BANK, RANDOMISED, xid

SEEDS = range(100, 106)


@pytest.mark.parametrize("name", RANDOMISED)
def test_correct_answers_pass_on_many_seeds(name):
    """The reference and a second correct alternative pass on a dozen more hidden seeds (each
    statistic is bounded at 5 standard errors or by a measured margin)."""
    for candidate in (get(xid(name)).entry.reference, BANK[name][1]):
        for seed in SEEDS:
            result = grader.check(xid(name), candidate, hidden=True, seed=seed)
            assert result.passed, (seed, result.feedback)


def _span_measures(fn, seeds):
    ex = get(xid("span_masking"))
    out = []
    for seed in seeds:
        for case in engine.cases_for(ex, hidden=True, seed=seed):
            if not case.args["stats"]:
                continue
            got = ex.harness.run(fn, case)
            y, labels = got["first:inputs"].long(), got["first:labels"].long()
            runs = _runs(labels != -100)
            long_runs = [(r, s, e) for r, s, e in runs if e - s >= 2]
            mixed = sum(1 for r, s, e in long_runs
                        if bool((y[r, s:e] == 4).any()) and not bool((y[r, s:e] == 4).all()))
            out.append((sum(e - s for _, s, e in runs) / len(runs), mixed / len(long_runs)))
    return out


def test_span_bounds_keep_their_margins():
    """Measured runs: the reference's mean run length stays >= 2.4 and its mixed-run share
    <= 0.22 (bounds 2.0 and 0.3); tokens picked one by one stay <= 1.6 and a replacement
    per token >= 0.38 (the module docstring gives the 40-seed figures)."""
    seeds = range(4)
    ref = _span_measures(get(xid("span_masking")).entry.reference, seeds)
    assert min(m for m, _ in ref) >= MIN_MEAN_RUN + 0.4 and max(s for _, s in ref) <= MAX_MIXED_SHARE - 0.08
    tokens = _span_measures(span_catalogue.spans_single_tokens.fn, seeds)
    assert max(m for m, _ in tokens) <= MIN_MEAN_RUN - 0.4
    per_token = _span_measures(span_catalogue.spans_replace_per_token.fn, seeds)
    assert min(s for _, s in per_token) >= MAX_MIXED_SHARE + 0.08


def test_span_lengths_mean_is_three_point_eight():
    """The clipped geometric of the notebook (p = 0.2, 1..10) has SpanBERT's mean of 3.8."""
    drawn = BANK["span_lengths"][0](50_000, generator=torch.Generator().manual_seed(0))
    assert abs(float(drawn.double().mean()) - 3.8) < 0.05
