"""decoder_self_mask: a bank of correct masks (positions compared, the complement of
triu, a Python loop, float tril expanded) passes."""

from __future__ import annotations

import pytest
import torch

from ._common import assert_passes, modes, name_of

NAME = "decoder_self_mask"


def mask_compare_positions(tgt_ids, pad_id):
    """Causal by comparing key and query positions."""
    t = tgt_ids.size(1)
    pos = torch.arange(t)
    causal = pos[None, :] <= pos[:, None]  # (T, T): key j <= query i
    return causal[None, None] & (tgt_ids != pad_id)[:, None, None, :]


def mask_not_triu(tgt_ids, pad_id):
    """The complement of the strict upper triangle, keys via unsqueeze."""
    t = tgt_ids.size(1)
    future = torch.ones(t, t, dtype=torch.bool).triu(diagonal=1)
    keys = tgt_ids.ne(pad_id).unsqueeze(1).unsqueeze(2)  # (B, 1, 1, T)
    return keys & ~future


def mask_loop(tgt_ids, pad_id):
    """A Python loop over batch, queries and keys."""
    b, t = tgt_ids.shape
    mask = torch.zeros(b, 1, t, t, dtype=torch.bool)
    for row in range(b):
        for i in range(t):
            for j in range(i + 1):
                mask[row, 0, i, j] = bool(tgt_ids[row, j] != pad_id)
    return mask


def mask_float_tril_expand(tgt_ids, pad_id):
    """tril of float ones turned into bool, padding with logical_and, expanded and contiguous."""
    b, t = tgt_ids.shape
    causal = torch.tril(torch.ones(t, t)).bool()
    keys = (tgt_ids != pad_id).view(b, 1, 1, t).expand(b, 1, t, t)  # (B, 1, T, T)
    return torch.logical_and(keys, causal).contiguous()


BANK = [mask_compare_positions, mask_not_triu, mask_loop, mask_float_tril_expand]


@pytest.mark.parametrize("candidate", BANK, ids=name_of)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct mask in the bank passes, visible and hidden, for several seeds."""
    assert_passes(NAME, candidate, hidden, seed)
