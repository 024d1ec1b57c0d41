"""Lesson 06, ``text_infilling``: its bank of correct alternatives, ``ALTERNATIVES``. ``test_lesson.py``
runs every bank, visible and hidden, and the checks of every randomised judge."""

from __future__ import annotations

import math

import torch

from reference.denoising import text_infilling

from ._common import (
    _join,
    _split,
)

NAME = "text_infilling"


def _knuth_poisson(lam, generator):
    """One Poisson(lam) draw from uniforms (Knuth): count products until below e^-lam."""
    limit, k, p = math.exp(-lam), 0, float(torch.rand((), generator=generator))
    while p > limit:
        k += 1
        p *= float(torch.rand((), generator=generator))
    return k


def infilling_walk(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    """Lengths from Knuth's sampler (cut to the budget); spans in distinct random gaps, in
    the order they were drawn."""
    head, body, tail = _split(tokens)
    budget = math.ceil(mask_ratio * len(body) - 1e-9)
    lengths, total = [], 0
    while total < budget:
        n = min(_knuth_poisson(poisson_lambda, generator), budget - total)
        lengths.append(n)
        total += n
    gaps = len(body) - budget + 1
    if len(lengths) <= gaps:
        where = sorted(torch.randperm(gaps, generator=generator)[: len(lengths)].tolist())
    else:
        where = sorted(torch.randint(gaps, (len(lengths),), generator=generator).tolist())
    out, pos = [], 0
    queue: dict[int, list[int]] = {g: [] for g in range(gaps)}
    for g, n in zip(where, lengths, strict=True):
        queue[g].append(n)
    for g in range(gaps):
        for n in queue[g]:
            out.append(mask_token_id)
            pos += n
        if pos < len(body) and g < gaps - 1:
            out.append(body[pos])
            pos += 1
    return _join(head, out, tail)


def infilling_composition(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    """round() budget; torch.poisson lengths one batch at a time; kept tokens split into
    num_spans + 1 runs of any size >= 0 (stars and bars), so spans may touch."""
    head, body, tail = _split(tokens)
    budget = round(mask_ratio * len(body))
    lengths = []
    while sum(lengths) < budget:
        for n in torch.poisson(torch.full((16,), float(poisson_lambda)), generator=generator).long().tolist():
            if sum(lengths) + n >= budget:
                lengths.append(budget - sum(lengths))
                break
            lengths.append(n)
    kept = len(body) - budget
    slots = kept + len(lengths)
    bars = sorted(torch.randperm(slots, generator=generator)[: len(lengths)].tolist())
    runs = [b - a - 1 for a, b in zip([-1, *bars], [*bars, slots], strict=True)]
    out, pos = [], 0
    for i, run in enumerate(runs):
        out += body[pos: pos + run]
        pos += run
        if i < len(lengths):
            out.append(mask_token_id)
            pos += lengths[i]
    return _join(head, out, tail)


ALTERNATIVES = [text_infilling, infilling_walk, infilling_composition]
