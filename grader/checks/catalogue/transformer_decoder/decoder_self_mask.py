"""``decoder_self_mask``: the reference (``reference.masks``) and its catalogued mistakes."""

from __future__ import annotations

import torch

from reference.masks import causal_mask, decoder_self_mask

from .. import Entry, Requirement, mistake
from ._common import ID


def _causal(tgt_ids):
    return causal_mask(tgt_ids.size(1))  # (T, T)


def _keys(tgt_ids, pad_id):
    return (tgt_ids != pad_id)[:, None, None, :]  # (B, 1, 1, T)


def _full(mask, tgt_ids):
    b, t = tgt_ids.shape
    return mask.expand(b, 1, t, t)  # (B, 1, T, T)


@mistake("ignores_padding", "the causal part is right, but padded target positions must be "
         "hidden too: AND the causal (T, T) mask with the key padding mask "
         "(tgt_ids != pad_id)[:, None, None, :].")
def mask_ignores_padding(tgt_ids, pad_id):
    return _full(_causal(tgt_ids), tgt_ids)


@mistake("no_causal_mask", "the padding part is right, but each position may also only attend "
         "to itself and earlier positions (j <= i): AND it with a lower-triangular causal mask, "
         "or training lets every position read the word it must predict.")
def mask_no_causal(tgt_ids, pad_id):
    return _full(_keys(tgt_ids, pad_id), tgt_ids)


@mistake("causal_transposed", "the causal part is transposed: row i (the query) may attend "
         "columns j <= i (the keys), the LOWER triangle (torch.tril), not the upper one.")
def mask_causal_transposed(tgt_ids, pad_id):
    upper = torch.triu(torch.ones(tgt_ids.size(1), tgt_ids.size(1), dtype=torch.bool))
    return _keys(tgt_ids, pad_id) & upper


@mistake("pads_queries_not_keys", "the padding mask belongs on the KEY axis (the last one): "
         "(tgt_ids != pad_id)[:, None, None, :]. Indexed as [:, None, :, None] it blanks whole "
         "query rows and still lets real queries attend padded keys.")
def mask_pads_queries(tgt_ids, pad_id):
    return _causal(tgt_ids) & (tgt_ids != pad_id)[:, None, :, None]


@mistake("polarity_flipped", "this is the mask of blocked positions; in this course True means "
         "'may attend': the past, the token itself, and only real (non-pad) tokens.")
def mask_polarity_flipped(tgt_ids, pad_id):
    return ~decoder_self_mask(tgt_ids, pad_id)


@mistake("excludes_diagonal", "a position may attend to itself (j <= i, not j < i); without the "
         "diagonal, <s> at position 0 has nothing to attend to.")
def mask_excludes_diagonal(tgt_ids, pad_id):
    t = tgt_ids.size(1)
    return _keys(tgt_ids, pad_id) & torch.ones(t, t, dtype=torch.bool).tril(-1)


@mistake("or_instead_of_and", "combine the two masks with AND (&): a key may be attended only "
         "when it is in the past AND a real token. OR (|) lets padding and the future through.")
def mask_or(tgt_ids, pad_id):
    return _full(_causal(tgt_ids) | _keys(tgt_ids, pad_id), tgt_ids)


@mistake("missing_head_axis", "return shape (B, 1, T, T): the 1 is the head axis, so the mask "
         "broadcasts over the heads of the scores (B, H, T, T). Key padding as "
         "[:, None, None, :] gives it.")
def mask_missing_head_axis(tgt_ids, pad_id):
    return (tgt_ids != pad_id)[:, None, :] & _causal(tgt_ids)  # (B, T, T)


@mistake("hardcoded_pad_zero", "use the pad_id argument: with another pad id, the padding was "
         "attended and a real token with id 0 was hidden.")
def mask_pad_zero(tgt_ids, pad_id):
    return decoder_self_mask(tgt_ids, 0)


@mistake("mask_not_bool", "return a bool mask (True/False): build it from comparisons and "
         "torch.tril(torch.ones(T, T, dtype=torch.bool)), and combine with &.")
def mask_not_bool(tgt_ids, pad_id):
    return decoder_self_mask(tgt_ids, pad_id).long()


MASK_MISTAKES = (mask_ignores_padding, mask_no_causal, mask_causal_transposed, mask_pads_queries,
                 mask_polarity_flipped, mask_excludes_diagonal, mask_or, mask_missing_head_axis,
                 mask_pad_zero, mask_not_bool)

REQUIREMENTS = (
    Requirement("a bool mask of shape (B, 1, T, T): the 1 is the head axis",
                ("missing_head_axis", "mask_not_bool")),
    Requirement("True = may attend", ("polarity_flipped",)),
    Requirement("causal: query i attends to keys j <= i (itself included)",
                ("no_causal_mask", "causal_transposed", "excludes_diagonal")),
    Requirement("padded target keys (ids equal to the pad_id argument) are never attended",
                ("ignores_padding", "pads_queries_not_keys", "hardcoded_pad_zero")),
    Requirement("the two conditions are combined with AND", ("or_instead_of_and",)),
)

ENTRY = Entry(f"{ID}/decoder_self_mask", decoder_self_mask, MASK_MISTAKES, points=1,
              requirements=REQUIREMENTS)
