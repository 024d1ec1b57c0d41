"""Lesson 06's ``span_corruption`` mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch

from grader.labkit.exercises.denoising.span_corruption import SPAN_CORRUPTION_HINTS
from reference.denoising import span_corruption
from reference.denoising.span_corruption import random_composition

from .. import Entry, Requirement, mistake
from ._common import ID, _hint, _parts


def _sc(mid: str) -> str:
    return _hint(SPAN_CORRUPTION_HINTS, mid)


def _t5(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0, generator=None,
        sentinel=None, final=True, target_sentinels=True, whole=False, tail_in_targets=True,
        touching=False, num_spans_fn=None):
    """The reference's procedure with switches; ``sentinel(i)`` is span i's sentinel."""
    if whole:
        head, body, tail = (torch.zeros(0, dtype=torch.long), tokens.clone(),
                            torch.zeros(0, dtype=torch.long))
    else:
        head, body, tail = _parts(tokens)
    n = len(body)
    num_noise = min(max(round(noise_density * n), 1), n - 1)
    num_spans = (num_spans_fn or (lambda k: max(1, round(k / mean_span_length))))(num_noise)
    num_spans = min(num_spans, num_noise, n - num_noise + 1)
    sentinel = sentinel or (lambda i: list(sentinel_ids)[i])
    noise = random_composition(num_noise, num_spans, generator)
    if touching:
        kept = random_composition(n - num_noise, num_spans + 1, generator, minimum=0)
    else:
        kept = random_composition(n - num_noise + 2, num_spans + 1, generator)
        kept[0] -= 1
        kept[-1] -= 1
    inputs, targets, values, pos = head.tolist(), [], body.tolist(), 0
    for i, length in enumerate(noise):
        inputs += values[pos: pos + kept[i]]
        pos += kept[i]
        inputs.append(sentinel(i))
        targets += ([sentinel(i)] if target_sentinels else []) + values[pos: pos + length]
        pos += length
    inputs += values[pos:] + tail.tolist()
    targets += ([sentinel(num_spans)] if final and target_sentinels else [])
    targets += tail.tolist() if tail_in_targets else []
    return torch.tensor(inputs, dtype=torch.long), torch.tensor(targets, dtype=torch.long)


@mistake("reuses_one_sentinel", _sc("reuses_one_sentinel"))
def sc_one_sentinel(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0, generator=None):
    return _t5(tokens, sentinel_ids=sentinel_ids, noise_density=noise_density,
               mean_span_length=mean_span_length, generator=generator,
               sentinel=lambda i: list(sentinel_ids)[0])


@mistake("missing_final_sentinel", _sc("missing_final_sentinel"))
def sc_no_final(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0, generator=None):
    return _t5(tokens, sentinel_ids=sentinel_ids, noise_density=noise_density,
               mean_span_length=mean_span_length, generator=generator, final=False)


@mistake("targets_without_sentinels", _sc("targets_without_sentinels"))
def sc_bare_targets(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0, generator=None):
    return _t5(tokens, sentinel_ids=sentinel_ids, noise_density=noise_density,
               mean_span_length=mean_span_length, generator=generator, target_sentinels=False)


@mistake("ignores_sentinel_ids", _sc("ignores_sentinel_ids"))
def sc_sentinels_from_7(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0, generator=None):
    return _t5(tokens, sentinel_ids=sentinel_ids, noise_density=noise_density,
               mean_span_length=mean_span_length, generator=generator, sentinel=lambda i: 7 + i)


@mistake("corrupts_boundary_tokens", _sc("corrupts_boundary_tokens"))
def sc_whole_sequence(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0, generator=None):
    return _t5(tokens, sentinel_ids=sentinel_ids, noise_density=noise_density,
               mean_span_length=mean_span_length, generator=generator, whole=True)


@mistake("targets_miss_end_tokens", _sc("targets_miss_end_tokens"))
def sc_tail_only_in_inputs(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0,
                           generator=None):
    return _t5(tokens, sentinel_ids=sentinel_ids, noise_density=noise_density,
               mean_span_length=mean_span_length, generator=generator, tail_in_targets=False)


@mistake("spans_touch", _sc("spans_touch"))
def sc_touching(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0, generator=None):
    return _t5(tokens, sentinel_ids=sentinel_ids, noise_density=noise_density,
               mean_span_length=mean_span_length, generator=generator, touching=True)


@mistake("ignores_mean_span_length", _sc("ignores_mean_span_length"))
def sc_length_one(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0, generator=None):
    return _t5(tokens, sentinel_ids=sentinel_ids, noise_density=noise_density,
               mean_span_length=mean_span_length, generator=generator, num_spans_fn=lambda k: k)


@mistake("hardcoded_parameters", _sc("hardcoded_parameters"))
def sc_hardcoded(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0, generator=None):
    return span_corruption(tokens, sentinel_ids=sentinel_ids, generator=generator)


@mistake("mutates_input", _sc("mutates_input"))
def sc_in_place(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0, generator=None):
    inputs, targets = span_corruption(tokens, sentinel_ids=sentinel_ids, noise_density=noise_density,
                                      mean_span_length=mean_span_length, generator=generator)
    tokens[: len(inputs)] = inputs
    return tokens[: len(inputs)].clone(), targets


@mistake("ignores_generator", _sc("ignores_generator"))
def sc_global_rng(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0, generator=None):
    return span_corruption(tokens, sentinel_ids=sentinel_ids, noise_density=noise_density,
                           mean_span_length=mean_span_length)


@mistake("fixed_internal_seed", _sc("fixed_internal_seed"))
def sc_fixed_seed(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0, generator=None):
    return span_corruption(tokens, sentinel_ids=sentinel_ids, noise_density=noise_density,
                           mean_span_length=mean_span_length, generator=torch.Generator().manual_seed(5))


@mistake("assumes_consecutive_sentinels", _sc("assumes_consecutive_sentinels"))
def sc_consecutive(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0,
                   generator=None):
    return _t5(tokens, sentinel_ids=sentinel_ids, noise_density=noise_density,
               mean_span_length=mean_span_length, generator=generator,
               sentinel=lambda i: list(sentinel_ids)[0] + i)


REQUIREMENTS = (
    Requirement('the leading [CLS]/<s> and trailing [SEP]/</s> runs stay as they are; only the body between them is corrupted',
                broken_by=('corrupts_boundary_tokens',)),
    Requirement('every random choice comes from the given torch.Generator, so a seed reproduces the result and different seeds give different results',
                broken_by=('ignores_generator', 'fixed_internal_seed')),
    Requirement('the input tensor is not modified; a new tensor is returned',
                broken_by=('mutates_input',)),
    Requirement('each masked span is replaced by its own sentinel, taken in order from sentinel_ids',
                broken_by=('reuses_one_sentinel', 'ignores_sentinel_ids',
                           'assumes_consecutive_sentinels')),
    Requirement('the targets list each sentinel followed by the tokens it hides, and end with a final sentinel',
                broken_by=('targets_without_sentinels', 'missing_final_sentinel', 'targets_miss_end_tokens')),
    Requirement('spans are separated by at least one kept token',
                broken_by=('spans_touch',)),
    Requirement('span lengths follow mean_span_length; noise_density and mean_span_length are used',
                broken_by=('ignores_mean_span_length', 'hardcoded_parameters')),
)


ENTRY = Entry(f"{ID}/span_corruption", span_corruption, (
    sc_one_sentinel, sc_no_final, sc_bare_targets, sc_sentinels_from_7, sc_whole_sequence,
    sc_tail_only_in_inputs, sc_touching, sc_length_one, sc_hardcoded, sc_in_place,
    sc_global_rng, sc_fixed_seed, sc_consecutive), points=3, requirements=REQUIREMENTS)
