"""Lesson 06's ``document_rotation`` mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch

from grader.labkit.exercises.denoising.document_rotation import DOCUMENT_ROTATION_HINTS
from reference.denoising import document_rotation

from .. import Entry, Requirement, mistake
from ._common import ID, _hint, _parts


def _dr(mid: str) -> str:
    return _hint(DOCUMENT_ROTATION_HINTS, mid)


@mistake("reverses_instead_of_rotating", _dr("reverses_instead_of_rotating"))
def dr_reverse(tokens, *, generator=None):
    head, body, tail = _parts(tokens)
    torch.randint(len(body), (1,), generator=generator)  # a draw that decides nothing
    return torch.cat([head, body.flip(0), tail])


@mistake("corrupts_boundary_tokens", _dr("corrupts_boundary_tokens"))
def dr_whole_sequence(tokens, *, generator=None):
    start = int(torch.randint(len(tokens), (1,), generator=generator))
    return torch.cat([tokens[start:], tokens[:start]])


@mistake("start_not_uniform", _dr("start_not_uniform"))
def dr_off_by_one(tokens, *, generator=None):
    head, body, tail = _parts(tokens)
    start = int(torch.randint(0, len(body) - 1, (1,), generator=generator))  # never the last
    return torch.cat([head, body[start:], body[:start], tail])


@mistake("start_never_zero", _dr("start_never_zero"))
def dr_never_unrotated(tokens, *, generator=None):
    head, body, tail = _parts(tokens)
    start = int(torch.randint(1, len(body), (1,), generator=generator)) if len(body) > 1 else 0
    return torch.cat([head, body.roll(-start), tail])


@mistake("mutates_input", _dr("mutates_input"))
def dr_in_place(tokens, *, generator=None):
    out = document_rotation(tokens, generator=generator)
    tokens.copy_(out)
    return tokens


@mistake("ignores_generator", _dr("ignores_generator"))
def dr_global_rng(tokens, *, generator=None):
    return document_rotation(tokens)


@mistake("fixed_internal_seed", _dr("fixed_internal_seed"))
def dr_fixed_seed(tokens, *, generator=None):
    return document_rotation(tokens, generator=torch.Generator().manual_seed(4))


REQUIREMENTS = (
    Requirement('the leading [CLS]/<s> and trailing [SEP]/</s> runs stay as they are; only the body between them is corrupted',
                broken_by=('corrupts_boundary_tokens',)),
    Requirement('every random choice comes from the given torch.Generator, so a seed reproduces the result and different seeds give different results',
                broken_by=('ignores_generator', 'fixed_internal_seed')),
    Requirement('the input tensor is not modified; a new tensor is returned',
                broken_by=('mutates_input',)),
    Requirement('the body is rotated: body[start:] then body[:start], order kept',
                broken_by=('reverses_instead_of_rotating',)),
    Requirement('the start is uniform over all n body positions, 0 (no change) included',
                broken_by=('start_not_uniform', 'start_never_zero')),
)


ENTRY = Entry(f"{ID}/document_rotation", document_rotation, (
    dr_reverse, dr_whole_sequence, dr_off_by_one, dr_in_place, dr_global_rng, dr_fixed_seed,
    dr_never_unrotated,
), points=1, requirements=REQUIREMENTS)
