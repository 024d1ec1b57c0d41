"""Lesson 02's references and mistake catalogue (trusted; never shipped).

Each mistake is a small wrong implementation with the student's signature. The
grader runs it on the same inputs as the candidate: when the candidate's
output matches a mistake's, the feedback names that mistake.
"""

from __future__ import annotations

import math

import torch

from reference.attention import scaled_dot_product_attention

from . import Entry, mistake


def _scores(q: torch.Tensor, k: torch.Tensor, factor: float) -> torch.Tensor:
    return q @ k.transpose(-2, -1) * factor  # (B, H, T, S)


def _finish(scores: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None, *, flip: bool = False,
            fill: float = float("-inf"), dim: int = -1, guard: bool = True):
    if mask is not None:
        allowed = ~mask if flip else mask
        scores = scores.masked_fill(~allowed, fill)
    weights = torch.softmax(scores, dim=dim)
    if mask is not None and guard:
        weights = torch.where(torch.isnan(weights), torch.zeros_like(weights), weights)
    return weights @ v, weights


@mistake("missing_scale", "the scores must be divided by sqrt(d_k) (the size of the last "
         "dimension of q) before the softmax, or the softmax saturates as d_k grows.")
def sdpa_missing_scale(q, k, v, mask=None):
    return _finish(_scores(q, k, 1.0), v, mask)


@mistake("scale_by_dk", "divide the scores by sqrt(d_k), not by d_k.")
def sdpa_scale_by_dk(q, k, v, mask=None):
    return _finish(_scores(q, k, 1.0 / q.shape[-1]), v, mask)


@mistake("softmax_wrong_axis", "the softmax must normalise over the keys (the last dimension, "
         "S), so that each query's weights sum to 1.")
def sdpa_softmax_wrong_axis(q, k, v, mask=None):
    return _finish(_scores(q, k, 1 / math.sqrt(q.shape[-1])), v, mask, dim=-2)


@mistake("mask_polarity_flipped", "in this course True in a mask means 'may attend': fill the "
         "scores where the mask is False (masked_fill(~mask, ...)), not where it is True.")
def sdpa_mask_flipped(q, k, v, mask=None):
    return _finish(_scores(q, k, 1 / math.sqrt(q.shape[-1])), v, mask, flip=True)


@mistake("mask_ignored", "the mask was not applied: positions where the mask is False must get "
         "weight 0.")
def sdpa_mask_ignored(q, k, v, mask=None):
    return _finish(_scores(q, k, 1 / math.sqrt(q.shape[-1])), v, None)


@mistake("uniform_on_fully_masked_row", "with a large negative fill, a query whose mask row is all "
         "False gets uniform weights over masked keys; it must get zero weights and a zero output.")
def sdpa_uniform_on_masked_row(q, k, v, mask=None):
    return _finish(_scores(q, k, 1 / math.sqrt(q.shape[-1])), v, mask, fill=-1e9, guard=False)


@mistake("nan_on_fully_masked_row", "a query whose mask row is all False must get zero weights "
         "and a zero output, not NaN: zero those rows after the softmax.")
def sdpa_nan_on_masked_row(q, k, v, mask=None):
    return _finish(_scores(q, k, 1 / math.sqrt(q.shape[-1])), v, mask, guard=False)


ENTRIES = [
    Entry("02_attention/scaled_dot_product_attention", scaled_dot_product_attention, (
        sdpa_missing_scale, sdpa_scale_by_dk, sdpa_softmax_wrong_axis, sdpa_mask_flipped,
        sdpa_mask_ignored, sdpa_uniform_on_masked_row, sdpa_nan_on_masked_row), points=3),
]
