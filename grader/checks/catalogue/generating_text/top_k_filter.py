"""Lesson 09's ``top_k_filter`` entry: the reference (``reference.generation``) and the
catalogued mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch

from reference.generation import top_k_filter

from .. import Entry, Requirement, mistake
from ._common import ID

NEG_INF = float("-inf")


@mistake("ties_dropped", "tokens tied with the k-th largest logit are kept too (the rule is "
         "'logit at least the k-th largest value'): keeping exactly k positions, as scattering "
         "topk's indices does, drops some of the tied ones arbitrarily.")
def tk_exactly_k(logits, k):
    if k == 0 or k >= logits.size(-1):
        return logits.clone()
    keep = torch.zeros_like(logits, dtype=torch.bool)
    keep.scatter_(-1, torch.topk(logits, k, dim=-1).indices, True)
    return logits.masked_fill(~keep, NEG_INF)


@mistake("kth_removed", "the k-th largest logit itself is kept: remove only the logits "
         "STRICTLY smaller than it (<, not <=).")
def tk_kth_removed(logits, k):
    if k == 0 or k >= logits.size(-1):
        return logits.clone()
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits <= kth, NEG_INF)


@mistake("keeps_smallest", "keep the LARGEST logits (the most probable tokens): "
         "torch.topk returns the largest by default, and the threshold is the smallest of them.")
def tk_smallest(logits, k):
    if k == 0 or k >= logits.size(-1):
        return logits.clone()
    kth = torch.topk(logits, k, dim=-1, largest=False).values[..., -1:]
    return logits.masked_fill(logits > kth, NEG_INF)


@mistake("k_zero_not_handled", "k = 0 means 'no top-k filtering': return the logits "
         "unchanged (a copy) before asking topk for the k-th value.")
def tk_zero(logits, k):
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, NEG_INF)


@mistake("wrong_axis", "filter along the vocabulary, the LAST axis (dim=-1): each row of "
         "logits is one distribution over the next token.")
def tk_wrong_axis(logits, k):
    if k == 0 or k >= logits.size(-1):
        return logits.clone()
    kth = torch.topk(logits, min(k, logits.size(0)), dim=0).values[-1:]
    return logits.masked_fill(logits < kth, NEG_INF)


@mistake("finite_fill", "give the removed tokens float('-inf'), not a large negative number: "
         "their probability must be exactly 0 after the softmax.")
def tk_finite(logits, k):
    if k == 0 or k >= logits.size(-1):
        return logits.clone()
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, -1e9)


REQUIREMENTS = (
    Requirement("a token is kept when its logit is at least the k-th largest of its row (ties "
                "with the k-th are kept), along the last axis",
                broken_by=("ties_dropped", "kth_removed", "keeps_smallest", "wrong_axis")),
    Requirement("k = 0 (and k >= V) keeps every token", broken_by=("k_zero_not_handled",)),
    Requirement("removed tokens get -inf", broken_by=("finite_fill",)),
)

ENTRY = Entry(f"{ID}/top_k_filter", top_k_filter, (
    tk_exactly_k, tk_kth_removed, tk_smallest, tk_zero, tk_wrong_axis, tk_finite),
    points=2, requirements=REQUIREMENTS)
