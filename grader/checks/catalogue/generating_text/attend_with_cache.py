"""Lesson 09's ``attend_with_cache`` entry: the reference (``reference.generation``) and
the catalogued mistakes (trusted; never shipped)."""

from __future__ import annotations

import math

import torch

from reference.attention import merge_heads, scaled_dot_product_attention, split_heads
from reference.generation import attend_with_cache

from .. import Entry, Requirement, mistake
from ._common import ID


def _qkv(attn, x_new):
    h = attn.num_heads
    return (split_heads(attn.q_proj(x_new), h), split_heads(attn.k_proj(x_new), h),
            split_heads(attn.v_proj(x_new), h))


def _extend(cache, k, v, dim=2):
    if cache is None:
        return k, v
    return torch.cat([cache[0], k], dim=dim), torch.cat([cache[1], v], dim=dim)


def _offset_mask(t, s):
    return torch.ones(t, s, dtype=torch.bool).tril(diagonal=s - t)


@mistake("no_mask_on_new_positions", "several new positions in one call (the prompt) must not "
         "see each other's future: new position i may attend to the cached keys and to the new "
         "keys up to itself only, so a causal mask is still needed.")
def awc_no_mask(attn, x_new, cache=None):
    q, k, v = _qkv(attn, x_new)
    k, v = _extend(cache, k, v)
    out, _ = scaled_dot_product_attention(q, k, v)
    return attn.out_proj(merge_heads(out)), (k, v)


@mistake("mask_without_offset", "the new positions come AFTER the S cached ones: new position "
         "i is absolute position S + i and may see keys 0 .. S + i. A plain lower triangle lets "
         "it see only the first i + 1 keys; shift the diagonal by S.")
def awc_no_offset(attn, x_new, cache=None):
    q, k, v = _qkv(attn, x_new)
    k, v = _extend(cache, k, v)
    mask = torch.ones(q.size(2), k.size(2), dtype=torch.bool).tril()
    out, _ = scaled_dot_product_attention(q, k, v, mask)
    return attn.out_proj(merge_heads(out)), (k, v)


@mistake("cache_ignored_in_attention", "the new queries must attend over the cached keys and "
         "values too (the whole prefix), not over the new positions alone.")
def awc_cache_ignored(attn, x_new, cache=None):
    q, k, v = _qkv(attn, x_new)
    t = q.size(2)
    out, _ = scaled_dot_product_attention(q, k, v, torch.ones(t, t, dtype=torch.bool).tril())
    return attn.out_proj(merge_heads(out)), _extend(cache, k, v)


@mistake("cache_not_extended", "return the EXTENDED cache (the old keys and values followed by "
         "the new ones): the next step needs the keys of this step's positions too.")
def awc_not_extended(attn, x_new, cache=None):
    q, k, v = _qkv(attn, x_new)
    full_k, full_v = _extend(cache, k, v)
    out, _ = scaled_dot_product_attention(q, full_k, full_v, _offset_mask(q.size(2), full_k.size(2)))
    return attn.out_proj(merge_heads(out)), (cache if cache is not None else (k, v))


@mistake("returns_only_new_keys", "the cache must keep EVERY position seen so far: return the "
         "cached keys and values followed by the new ones, not the new ones alone.")
def awc_only_new(attn, x_new, cache=None):
    q, k, v = _qkv(attn, x_new)
    full_k, full_v = _extend(cache, k, v)
    out, _ = scaled_dot_product_attention(q, full_k, full_v, _offset_mask(q.size(2), full_k.size(2)))
    return attn.out_proj(merge_heads(out)), (k, v)


@mistake("concat_on_wrong_axis", "keys and values are (B, H, S, Dh): the positions are axis "
         "2, so the new ones are appended along dim=2, not along the heads or the batch.")
def awc_wrong_axis(attn, x_new, cache=None):
    q, k, v = _qkv(attn, x_new)
    k, v = _extend(cache, k, v, dim=1)
    out, _ = scaled_dot_product_attention(q, k, v, _offset_mask(q.size(2), k.size(2)))
    return attn.out_proj(merge_heads(out)), (k, v)


@mistake("caches_inputs_not_keys", "cache the projected keys and values, per head (B, H, S, Dh): "
         "caching the inputs x means recomputing k_proj and v_proj over the whole prefix at "
         "every step, the very cost the cache exists to save.")
def awc_caches_inputs(attn, x_new, cache=None):
    past = x_new if cache is None else torch.cat([cache[0], x_new], dim=1)
    q, _, _ = _qkv(attn, x_new)
    _, k, v = _qkv(attn, past)
    out, _ = scaled_dot_product_attention(q, k, v, _offset_mask(q.size(2), k.size(2)))
    return attn.out_proj(merge_heads(out)), (past, past)


@mistake("scaled_by_d_model", "the scores are divided by sqrt(Dh), the width of ONE head "
         "(d_model / num_heads), not by sqrt(d_model).")
def awc_scale(attn, x_new, cache=None):
    q, k, v = _qkv(attn, x_new)
    k, v = _extend(cache, k, v)
    scores = q @ k.transpose(-2, -1) / math.sqrt(attn.d_model)
    scores = scores.masked_fill(~_offset_mask(q.size(2), k.size(2)), float("-inf"))
    return attn.out_proj(merge_heads(torch.softmax(scores, -1) @ v)), (k, v)


REQUIREMENTS = (
    Requirement("new position i attends to every cached key and to the new keys up to itself "
                "(a causal mask shifted by the S cached positions)",
                broken_by=("no_mask_on_new_positions", "mask_without_offset",
                           "cache_ignored_in_attention")),
    Requirement("the returned cache is the cached keys and values followed by the new ones "
                "along the position axis, (B, H, S + T, Dh)",
                broken_by=("cache_not_extended", "returns_only_new_keys", "concat_on_wrong_axis",
                           "caches_inputs_not_keys")),
    Requirement("scores are scaled by sqrt(Dh), as in the attention of lesson 02",
                broken_by=("scaled_by_d_model",)),
)

ENTRY = Entry(f"{ID}/attend_with_cache", attend_with_cache, (
    awc_no_mask, awc_no_offset, awc_cache_ignored, awc_not_extended, awc_only_new, awc_wrong_axis,
    awc_caches_inputs, awc_scale), points=3, requirements=REQUIREMENTS)
