"""Lesson 02, ``scaled_dot_product_attention``: the reference and its catalogued mistakes
(trusted; never shipped)."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from grader.labkit.exercises.attention.scaled_dot_product_attention import (
    ScaledDotProductAttentionHarness,
)
from reference.attention import scaled_dot_product_attention

from .. import Entry, Requirement, mistake
from ._common import ID


def _scores(q: Tensor, k: Tensor, factor: float) -> Tensor:
    return q @ k.transpose(-2, -1) * factor  # (B, H, T, S)


def _finish(scores: Tensor, v: Tensor, mask: Tensor | None, *, flip: bool = False,
            fill: float = float("-inf"), dim: int = -1, guard: bool = True) -> tuple[Tensor, Tensor]:
    """Mask ``scores`` (B, H, T, S), softmax over ``dim``, and return (weights @ v, weights)."""
    if mask is not None:
        allowed = ~mask if flip else mask
        scores = scores.masked_fill(~allowed, fill)
    weights = torch.softmax(scores, dim=dim)
    if mask is not None and guard:
        weights = torch.where(torch.isnan(weights), torch.zeros_like(weights), weights)
    return weights @ v, weights  # (B, H, T, Dh), (B, H, T, S)


def _scale(q: Tensor) -> float:
    return 1 / math.sqrt(q.shape[-1])


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
    return _finish(_scores(q, k, _scale(q)), v, mask, dim=-2)


@mistake("mask_polarity_flipped", "in this course True in a mask means 'may attend': fill the "
         "scores where the mask is False (masked_fill(~mask, ...)), not where it is True.")
def sdpa_mask_flipped(q, k, v, mask=None):
    return _finish(_scores(q, k, _scale(q)), v, mask, flip=True)


@mistake("mask_ignored", "the mask was not applied: positions where the mask is False must get "
         "weight 0.")
def sdpa_mask_ignored(q, k, v, mask=None):
    return _finish(_scores(q, k, _scale(q)), v, None)


@mistake("masked_fill_zero", "filling masked scores with 0 does not hide them: exp(0) = 1 still "
         "gives them weight. Fill with -inf or a very large negative number.")
def sdpa_masked_fill_zero(q, k, v, mask=None):
    return _finish(_scores(q, k, _scale(q)), v, mask, fill=0.0)


@mistake("mask_after_softmax", "masking the weights after the softmax leaves rows that no longer "
         "sum to 1: mask the scores before the softmax, so the allowed keys share all the weight.")
def sdpa_mask_after_softmax(q, k, v, mask=None):
    weights = torch.softmax(_scores(q, k, _scale(q)), dim=-1)
    if mask is not None:
        weights = weights * mask
    return weights @ v, weights


@mistake("uniform_on_fully_masked_row", "with a large negative fill, a query whose mask row is all "
         "False gets uniform weights over masked keys; it must get zero weights and a zero output.")
def sdpa_uniform_on_masked_row(q, k, v, mask=None):
    return _finish(_scores(q, k, _scale(q)), v, mask, fill=-1e9, guard=False)


# Found by the harness's NaN property, which shows the harness's hint: the same text.
@mistake("nan_on_fully_masked_row",
         ScaledDotProductAttentionHarness.hints["nan_on_fully_masked_row"])
def sdpa_nan_on_masked_row(q, k, v, mask=None):
    return _finish(_scores(q, k, _scale(q)), v, mask, guard=False)


@mistake("nan_gradient_on_fully_masked_row", "the outputs are right but the gradient is NaN: an "
         "additive -inf mask makes softmax return NaN on a fully masked row, and its backward "
         "spreads NaN even after you zero that row. Use scores.masked_fill(~mask, ...) (its "
         "backward zeroes masked positions) or a large finite negative such as "
         "torch.finfo(scores.dtype).min.")
def sdpa_nan_gradient(q, k, v, mask=None):
    scores = _scores(q, k, _scale(q))
    if mask is not None:
        scores = scores + torch.zeros(mask.shape, dtype=scores.dtype).masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    if mask is not None:
        weights = torch.where(mask.any(-1, keepdim=True), weights, torch.zeros_like(weights))
    return weights @ v, weights


@mistake("sigmoid_instead_of_softmax", "the weights come from a SOFTMAX over the keys, so each "
         "query's weights are positive and sum to 1; a sigmoid scores every key on its own and "
         "the weights no longer form a distribution.")
def sdpa_sigmoid(q, k, v, mask=None):
    scores = _scores(q, k, _scale(q))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.sigmoid(scores)
    return weights @ v, weights  # (B, H, T, Dh), (B, H, T, S)


ENTRY = Entry(f"{ID}/scaled_dot_product_attention", scaled_dot_product_attention, (
    sdpa_missing_scale, sdpa_scale_by_dk, sdpa_softmax_wrong_axis, sdpa_mask_flipped,
    sdpa_mask_ignored, sdpa_masked_fill_zero, sdpa_mask_after_softmax,
    sdpa_uniform_on_masked_row, sdpa_nan_on_masked_row, sdpa_nan_gradient, sdpa_sigmoid),
    points=3,
    requirements=(
        Requirement("scores are q k^T divided by sqrt(d_k), the size of q's last axis",
                    broken_by=("missing_scale", "scale_by_dk")),
        Requirement("weights are a softmax over the keys (the last axis)",
                    broken_by=("softmax_wrong_axis", "sigmoid_instead_of_softmax")),
        Requirement("where the mask is False (True = may attend) the weight is 0, the others "
                    "sharing all the weight",
                    broken_by=("mask_polarity_flipped", "mask_ignored", "masked_fill_zero",
                               "mask_after_softmax")),
        Requirement("a fully masked query row gets zero weights and a zero output, with finite "
                    "gradients",
                    broken_by=("uniform_on_fully_masked_row", "nan_on_fully_masked_row",
                               "nan_gradient_on_fully_masked_row")),
    ))
