"""Lesson 11's ``prefix_lm_mask`` entry: the reference (``reference.beyond_bert``) and the
catalogued mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch

from reference.beyond_bert import prefix_lm_mask

from .. import Entry, Requirement, mistake
from ._common import ID


def _mask(input_ids, prefix_lengths, pad_id=0, *, prefix="keys", pad="keys", real_id=None,
          causal="lower", head_axis=True):
    """A configurable prefix-LM mask: each mistake below turns one switch."""
    t = input_ids.shape[1]
    pos = torch.arange(t)
    lower = pos[None, :, None] >= pos[None, None, :]  # (1, T, T): j <= i
    tri = lower if causal == "lower" else ~lower | (pos[:, None] == pos[None, :])
    p = prefix_lengths[:, None, None]
    if prefix == "keys":
        allowed = tri | (pos[None, None, :] < p)
    elif prefix == "keys_inclusive":
        allowed = tri | (pos[None, None, :] <= p)
    elif prefix == "queries":
        allowed = tri | (pos[None, :, None] < p)
    elif prefix == "none":
        allowed = tri.expand(len(input_ids), t, t)
    elif prefix == "all":
        allowed = torch.ones(len(input_ids), t, t, dtype=torch.bool)
    else:
        raise ValueError(prefix)
    real = input_ids != (pad_id if real_id is None else real_id)  # (B, T)
    if pad == "keys":
        allowed = allowed & real[:, None, :]
    elif pad == "queries":
        allowed = allowed & real[:, :, None]
    return allowed[:, None] if head_axis else allowed


@mistake("causal_only", "the prefix is read in both directions: a key inside the prefix "
         "(j < prefix length) may be attended from every position, also from an earlier one; "
         "only after the prefix does the mask become causal.")
def mask_causal_only(input_ids, prefix_lengths, pad_id=0):
    return _mask(input_ids, prefix_lengths, pad_id, prefix="none")


@mistake("fully_bidirectional", "after the prefix the mask is causal: a continuation token is "
         "generated, so it may not see the tokens after it.")
def mask_bidirectional(input_ids, prefix_lengths, pad_id=0):
    return _mask(input_ids, prefix_lengths, pad_id, prefix="all")


@mistake("prefix_off_by_one", "the prefix holds prefix_length tokens, positions 0 .. "
         "prefix_length - 1: compare the key position with a strict <.")
def mask_off_by_one(input_ids, prefix_lengths, pad_id=0):
    return _mask(input_ids, prefix_lengths, pad_id, prefix="keys_inclusive")


@mistake("prefix_on_queries", "what makes the prefix bidirectional is that its tokens can be "
         "SEEN from everywhere (a condition on the key j); letting prefix queries see every key "
         "shows them the continuation, which they must never read.")
def mask_prefix_queries(input_ids, prefix_lengths, pad_id=0):
    return _mask(input_ids, prefix_lengths, pad_id, prefix="queries")


@mistake("ignores_padding", "no position may attend to padding: combine the allowed pattern "
         "with the padding mask of the keys (True at real tokens).")
def mask_no_padding(input_ids, prefix_lengths, pad_id=0):
    return _mask(input_ids, prefix_lengths, pad_id, pad="none")


@mistake("padding_on_queries", "padding is masked on the KEY axis (the last one): a real query "
         "must not attend to a padded key; masking padded queries instead leaves the padded keys "
         "visible.")
def mask_pad_queries(input_ids, prefix_lengths, pad_id=0):
    return _mask(input_ids, prefix_lengths, pad_id, pad="queries")


@mistake("pad_id_hardcoded", "use the pad_id argument: here padding is another id, and a real "
         "token with id 0 must stay visible.")
def mask_pad_hardcoded(input_ids, prefix_lengths, pad_id=0):
    return _mask(input_ids, prefix_lengths, pad_id, real_id=0)


@mistake("upper_triangle", "causal means a query sees itself and the PAST: key j <= query i, the "
         "lower triangle (causal_mask gives it).")
def mask_upper(input_ids, prefix_lengths, pad_id=0):
    return _mask(input_ids, prefix_lengths, pad_id, causal="upper")


@mistake("missing_head_axis", "the mask has a head axis of size 1, (B, 1, T, T), so that it "
         "broadcasts against the scores (B, H, T, T).")
def mask_no_head_axis(input_ids, prefix_lengths, pad_id=0):
    return _mask(input_ids, prefix_lengths, pad_id, head_axis=False)


REQUIREMENTS = (
    Requirement("every position may attend to the prefix's keys, positions 0 .. prefix_length - 1",
                broken_by=("causal_only", "prefix_off_by_one")),
    Requirement("after the prefix the mask is causal (key j <= query i), and no prefix query sees "
                "the continuation", broken_by=("fully_bidirectional", "prefix_on_queries", "upper_triangle")),
    Requirement("no query attends to a padded key (pad_id, the argument)",
                broken_by=("ignores_padding", "padding_on_queries", "pad_id_hardcoded")),
    Requirement("the mask is (B, 1, T, T) bool", broken_by=("missing_head_axis",)),
)

ENTRY = Entry(f"{ID}/prefix_lm_mask", prefix_lm_mask, (
    mask_causal_only, mask_bidirectional, mask_off_by_one, mask_prefix_queries, mask_no_padding,
    mask_pad_queries, mask_pad_hardcoded, mask_upper, mask_no_head_axis), points=2,
    requirements=REQUIREMENTS)
