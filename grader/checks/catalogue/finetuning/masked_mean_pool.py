"""Lesson 08's ``masked_mean_pool``: the catalogued mistakes and the entry (reference
``reference.models.classifier.masked_mean_pool``, the mean over the real tokens).
"""

from __future__ import annotations

from reference.models.classifier import masked_mean_pool

from .. import Entry, Requirement, mistake
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


@mistake("divided_by_batch_count", "divide each sentence's sum by ITS OWN number of real "
         "tokens (a count per row, kept as a (B, 1) column), not by the number of real tokens "
         "of the whole batch: attention_mask.sum() with no dimension counts every row at once.")
def pool_divided_by_batch_count(hidden, attention_mask):
    real = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * real).sum(dim=1) / attention_mask.sum()  # (B, E) / one number


@mistake("pooled_over_features", "the mean runs over the positions, dimension 1 (T), and keeps "
         "the features: the result is (B, E), one vector per sentence. Averaging over the last "
         "axis (E) gives one number per token instead.")
def pool_over_features(hidden, attention_mask):
    real = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * real).mean(dim=-1)  # (B, T): averaged over E


POOL_MISTAKES = (pool_mean_over_padding, pool_sum, pool_divided_by_t, pool_mask_flipped,
                 pool_over_batch, pool_mask_not_unsqueezed, pool_divided_by_batch_count,
                 pool_over_features)

REQUIREMENTS = (
    Requirement("only the real tokens (attention_mask True) enter the sum; padded positions "
                "contribute nothing", broken_by=("mean_over_padding", "mask_flipped")),
    Requirement("the sum of each row is divided by that row's number of real tokens (a mean, "
                "not a sum, not over T, not over the whole batch's count)",
                broken_by=("sum_not_mean", "divided_by_length", "divided_by_batch_count")),
    Requirement("the mean runs over the positions (dimension 1) and returns (B, E), one vector "
                "per sentence", broken_by=("pooled_over_batch", "pooled_over_features")),
    Requirement("the (B, T) mask is broadcast over the E features of (B, T, E) hidden states",
                broken_by=("mask_not_unsqueezed",)),
)


ENTRY = Entry(f"{ID}/masked_mean_pool", masked_mean_pool, POOL_MISTAKES, points=1,
              requirements=REQUIREMENTS)
