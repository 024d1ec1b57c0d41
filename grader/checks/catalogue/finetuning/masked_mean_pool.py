"""Lesson 08's ``masked_mean_pool``: the catalogued mistakes and the entry (reference
``reference.models.classifier.masked_mean_pool``, the mean over the real tokens).
"""

from __future__ import annotations

from reference.models.classifier import masked_mean_pool

from .. import Entry, mistake
from ._common import ID


@mistake("mean_over_padding", "average over the REAL tokens only: multiply by the mask "
         "(attention_mask.unsqueeze(-1)) before summing over T, and divide by the number of "
         "real tokens, attention_mask.sum(1, keepdim=True), not by T.")
def pool_mean_over_padding(hidden, attention_mask):
    return hidden.mean(dim=1)


@mistake("sum_not_mean", "divide the sum over the real tokens by their number, "
         "attention_mask.sum(1, keepdim=True): a sum grows with the sentence's length.")
def pool_sum(hidden, attention_mask):
    return (hidden * attention_mask.unsqueeze(-1)).sum(dim=1)  # mask (B, T, 1) -> (B, E)


@mistake("divided_by_length", "the padded positions are left out of the sum, so divide by the "
         "number of real tokens (attention_mask.sum(1, keepdim=True)), not by T.")
def pool_divided_by_t(hidden, attention_mask):
    return (hidden * attention_mask.unsqueeze(-1)).sum(dim=1) / hidden.shape[1]  # (B, E) / T


@mistake("mask_flipped", "attention_mask is True at REAL tokens: keep those positions "
         "(multiply by the mask), do not keep the padding.")
def pool_mask_flipped(hidden, attention_mask):
    pads = (~attention_mask).unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * pads).sum(dim=1) / pads.sum(dim=1)


@mistake("pooled_over_batch", "pool over the positions, dimension 1 (T), not over the batch: "
         "the result has one vector per sentence, (B, E).")
def pool_over_batch(hidden, attention_mask):
    real = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * real).sum(dim=0) / real.sum(dim=0).clamp_min(1)


@mistake("mask_not_unsqueezed", "the mask is (B, T) and hidden (B, T, E): add a last axis, "
         "attention_mask.unsqueeze(-1) (B, T, 1), so that it broadcasts over the features.")
def pool_mask_not_unsqueezed(hidden, attention_mask):
    return (hidden * attention_mask).sum(dim=1) / attention_mask.sum(dim=1)


POOL_MISTAKES = (pool_mean_over_padding, pool_sum, pool_divided_by_t, pool_mask_flipped,
                 pool_over_batch, pool_mask_not_unsqueezed)


ENTRY = Entry(f"{ID}/masked_mean_pool", masked_mean_pool, POOL_MISTAKES, points=1)
