"""Lesson 06, ``token_masking``: its bank of correct alternatives, ``ALTERNATIVES``. ``test_lesson.py``
runs every bank, visible and hidden, and the checks of every randomised judge."""

from __future__ import annotations

import math

import torch

from reference.denoising import token_masking

from ._common import (
    _join,
    _split,
)

NAME = "token_masking"


def masking_bernoulli(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    """Each body token masked with probability mask_ratio (no exact count)."""
    head, body, tail = _split(tokens)
    body = torch.tensor(body, dtype=torch.long)
    chosen = torch.rand(len(body), generator=generator) < mask_ratio
    return _join(head, body.masked_fill(chosen, mask_token_id).tolist(), tail)


def masking_argsort(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    """ceil(ratio * n) positions: the smallest of n uniforms."""
    head, body, tail = _split(tokens)
    k = -int(-mask_ratio * len(body) // 1)  # ceil without math
    chosen = torch.rand(len(body), generator=generator).argsort()[:k].tolist()
    body = [mask_token_id if i in chosen else t for i, t in enumerate(body)]
    return _join(head, body, tail)


def masking_multinomial(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    """ceil(ratio * n) positions drawn by torch.multinomial without replacement."""
    head, body, tail = _split(tokens)
    out = torch.tensor(body, dtype=torch.long)
    k = math.ceil(mask_ratio * len(body) - 1e-9)
    if k:
        out[torch.multinomial(torch.ones(len(body)), k, generator=generator)] = mask_token_id
    return _join(head, out.tolist(), tail)


def masking_isin_specials(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    """Protects every special id (the course's 0..14) instead of the boundary runs: the same
    on sequences whose bodies hold no special token."""
    out = tokens.clone()
    eligible = (~torch.isin(tokens, torch.arange(15))).nonzero().squeeze(1)
    k = math.ceil(mask_ratio * len(eligible) - 1e-9)
    out[eligible[torch.randperm(len(eligible), generator=generator)[:k]]] = mask_token_id
    return out


ALTERNATIVES = [token_masking, masking_bernoulli, masking_argsort, masking_multinomial,
                masking_isin_specials]
