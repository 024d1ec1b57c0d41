"""Lesson 06's ``text_infilling`` mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch

from grader.labkit.exercises.denoising.text_infilling import TEXT_INFILLING_HINTS
from reference.denoising import text_infilling
from reference.denoising.text_infilling import poisson_span_lengths

from .. import Entry, Requirement, mistake
from ._common import ID, _count, _hint, _parts


def _ti(mid: str) -> str:
    return _hint(TEXT_INFILLING_HINTS, mid)


def _infill(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None,
            lengths_fn=None, per_token=False, whole=False):
    """The reference's procedure with switches: ``lengths_fn(budget)`` draws the span lengths,
    ``per_token`` writes one mask per hidden token, ``whole`` corrupts the boundary too."""
    if whole:
        head, body, tail = (torch.zeros(0, dtype=torch.long), tokens.clone(),
                            torch.zeros(0, dtype=torch.long))
    else:
        head, body, tail = _parts(tokens)
    budget = _count(len(body), mask_ratio)
    if budget == 0:
        return tokens.clone()
    lengths = (lengths_fn or (lambda b: poisson_span_lengths(b, poisson_lambda, generator)))(budget)
    order = torch.randperm(len(lengths), generator=generator).tolist()
    kept = len(body) - budget
    if len(lengths) <= kept + 1:
        gaps = sorted(torch.randperm(kept + 1, generator=generator)[: len(lengths)].tolist())
    else:
        gaps = sorted(torch.randint(kept + 1, (len(lengths),), generator=generator).tolist())
    in_gap: list[list[int]] = [[] for _ in range(kept + 1)]
    for gap, i in zip(gaps, order, strict=True):
        in_gap[gap].append(lengths[i])
    out, values, pos = [], body.tolist(), 0
    for gap in range(kept + 1):
        for length in in_gap[gap]:
            out += [mask_token_id] * (length if per_token else 1)
            pos += length
        if gap < kept:
            out.append(values[pos])
            pos += 1
    return torch.cat([head, torch.tensor(out, dtype=torch.long), tail])


@mistake("corrupts_boundary_tokens", _ti("corrupts_boundary_tokens"))
def ti_whole_sequence(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    return _infill(tokens, mask_token_id=mask_token_id, mask_ratio=mask_ratio,
                   poisson_lambda=poisson_lambda, generator=generator, whole=True)


@mistake("one_mask_per_token", _ti("one_mask_per_token"))
def ti_mask_per_token(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    return _infill(tokens, mask_token_id=mask_token_id, mask_ratio=mask_ratio,
                   poisson_lambda=poisson_lambda, generator=generator, per_token=True)


@mistake("fixed_span_length", _ti("fixed_span_length"))
def ti_fixed_length(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    def fixed(budget):
        step = max(1, round(poisson_lambda))
        return [step] * (budget // step) + ([budget % step] if budget % step else [])
    return _infill(tokens, mask_token_id=mask_token_id, mask_ratio=mask_ratio,
                   poisson_lambda=poisson_lambda, generator=generator, lengths_fn=fixed)


@mistake("no_zero_length_spans", _ti("no_zero_length_spans"))
def ti_no_zero(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    def positive(budget):
        return [n for n in poisson_span_lengths(budget, poisson_lambda, generator) if n > 0]
    return _infill(tokens, mask_token_id=mask_token_id, mask_ratio=mask_ratio,
                   poisson_lambda=poisson_lambda, generator=generator, lengths_fn=positive)


@mistake("hardcoded_lambda", _ti("hardcoded_lambda"))
def ti_hardcoded_lambda(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    return text_infilling(tokens, mask_token_id=mask_token_id, mask_ratio=mask_ratio, poisson_lambda=3.0,
                          generator=generator)


@mistake("hardcoded_ratio", _ti("hardcoded_ratio"))
def ti_hardcoded_ratio(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    return text_infilling(tokens, mask_token_id=mask_token_id, mask_ratio=0.3,
                          poisson_lambda=poisson_lambda, generator=generator)


@mistake("deletes_without_mask", _ti("deletes_without_mask"))
def ti_no_mask(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    out = _infill(tokens, mask_token_id=mask_token_id, mask_ratio=mask_ratio,
                  poisson_lambda=poisson_lambda, generator=generator)
    return out[out != mask_token_id]


@mistake("mutates_input", _ti("mutates_input"))
def ti_in_place(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    out = text_infilling(tokens, mask_token_id=mask_token_id, mask_ratio=mask_ratio,
                         poisson_lambda=poisson_lambda, generator=generator)
    tokens[: len(out)] = out.clone()
    return tokens[: len(out)].clone()


@mistake("ignores_generator", _ti("ignores_generator"))
def ti_global_rng(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    return text_infilling(tokens, mask_token_id=mask_token_id, mask_ratio=mask_ratio,
                          poisson_lambda=poisson_lambda)


@mistake("fixed_internal_seed", _ti("fixed_internal_seed"))
def ti_fixed_seed(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    return text_infilling(tokens, mask_token_id=mask_token_id, mask_ratio=mask_ratio,
                          poisson_lambda=poisson_lambda, generator=torch.Generator().manual_seed(2))


@mistake("hardcoded_mask_id", _ti("hardcoded_mask_id"))
def ti_mask_id_4(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    return text_infilling(tokens, mask_token_id=4, mask_ratio=mask_ratio,
                          poisson_lambda=poisson_lambda, generator=generator)


REQUIREMENTS = (
    Requirement('the leading [CLS]/<s> and trailing [SEP]/</s> runs stay as they are; only the body between them is corrupted',
                broken_by=('corrupts_boundary_tokens',)),
    Requirement('every random choice comes from the given torch.Generator, so a seed reproduces the result and different seeds give different results',
                broken_by=('ignores_generator', 'fixed_internal_seed')),
    Requirement('the input tensor is not modified; a new tensor is returned',
                broken_by=('mutates_input',)),
    Requirement('each span, whatever its length, becomes ONE mask token',
                broken_by=('one_mask_per_token', 'deletes_without_mask')),
    Requirement('span lengths are drawn from Poisson(lambda), zero-length spans included (they insert a mask)',
                broken_by=('fixed_span_length', 'no_zero_length_spans')),
    Requirement('the poisson_lambda and mask_ratio arguments are used',
                broken_by=('hardcoded_lambda', 'hardcoded_ratio')),
    Requirement('mask_token_id is the argument, whatever its value (no fixed [MASK] id)',
                broken_by=('hardcoded_mask_id',)),
)


ENTRY = Entry(f"{ID}/text_infilling", text_infilling, (
    ti_whole_sequence, ti_mask_per_token, ti_fixed_length, ti_no_zero, ti_hardcoded_lambda,
    ti_hardcoded_ratio, ti_no_mask, ti_in_place, ti_global_rng, ti_fixed_seed, ti_mask_id_4
), points=3, requirements=REQUIREMENTS)
