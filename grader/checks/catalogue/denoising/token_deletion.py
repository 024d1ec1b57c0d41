"""Lesson 06's ``token_deletion`` mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch

from grader.labkit.exercises.denoising.token_deletion import TOKEN_DELETION_HINTS
from reference.denoising import token_deletion, token_masking

from .. import Entry, Requirement, mistake
from ._common import ID, _choose, _count, _hint, _parts


def _td(mid: str) -> str:
    return _hint(TOKEN_DELETION_HINTS, mid)


@mistake("corrupts_boundary_tokens", _td("corrupts_boundary_tokens"))
def td_whole_sequence(tokens, *, deletion_ratio=0.15, generator=None):
    chosen = _choose(len(tokens), _count(len(tokens), deletion_ratio), generator)
    return tokens[~chosen]


@mistake("count_includes_boundary", _td("count_includes_boundary"))
def td_count_whole(tokens, *, deletion_ratio=0.15, generator=None):
    head, body, tail = _parts(tokens)
    chosen = _choose(len(body), min(len(body), _count(len(tokens), deletion_ratio)), generator)
    return torch.cat([head, body[~chosen], tail])


@mistake("ratio_per_document", _td("ratio_per_document"))
def td_per_document(tokens, *, deletion_ratio=0.15, generator=None):
    # The ratio read as "the chance that this document loses a token".
    head, body, tail = _parts(tokens)
    if float(torch.rand((), generator=generator)) < deletion_ratio:
        drop = int(torch.randint(len(body), (1,), generator=generator))
        body = torch.cat([body[:drop], body[drop + 1:]])
    return torch.cat([head, body, tail])


@mistake("hardcoded_ratio", _td("hardcoded_ratio"))
def td_hardcoded(tokens, *, deletion_ratio=0.15, generator=None):
    return token_deletion(tokens, deletion_ratio=0.15, generator=generator)


@mistake("ratio_inverted", _td("ratio_inverted"))
def td_inverted(tokens, *, deletion_ratio=0.15, generator=None):
    head, body, tail = _parts(tokens)
    keep = torch.rand(len(body), generator=generator) < deletion_ratio
    return torch.cat([head, body[keep], tail])


@mistake("masks_instead_of_deleting", _td("masks_instead_of_deleting"))
def td_masks(tokens, *, deletion_ratio=0.15, generator=None):
    return token_masking(tokens, mask_token_id=4, mask_ratio=deletion_ratio, generator=generator)


@mistake("deletes_one_span", _td("deletes_one_span"))
def td_one_span(tokens, *, deletion_ratio=0.15, generator=None):
    head, body, tail = _parts(tokens)
    k = _count(len(body), deletion_ratio)
    start = int(torch.randint(len(body) - k + 1, (1,), generator=generator))
    return torch.cat([head, body[:start], body[start + k:], tail])


@mistake("assumes_boundary_tokens", _td("assumes_boundary_tokens"))
def td_strip_ends(tokens, *, deletion_ratio=0.15, generator=None):
    inner = tokens[1:-1]
    chosen = _choose(len(inner), _count(len(inner), deletion_ratio), generator)
    return torch.cat([tokens[:1], inner[~chosen], tokens[-1:]])


@mistake("mutates_input", _td("mutates_input"))
def td_in_place(tokens, *, deletion_ratio=0.15, generator=None):
    out = token_deletion(tokens, deletion_ratio=deletion_ratio, generator=generator)
    tokens[: len(out)] = out.clone()  # reuses the caller's buffer
    return tokens[: len(out)].clone()


@mistake("ignores_generator", _td("ignores_generator"))
def td_global_rng(tokens, *, deletion_ratio=0.15, generator=None):
    return token_deletion(tokens, deletion_ratio=deletion_ratio)


@mistake("fixed_internal_seed", _td("fixed_internal_seed"))
def td_fixed_seed(tokens, *, deletion_ratio=0.15, generator=None):
    return token_deletion(tokens, deletion_ratio=deletion_ratio, generator=torch.Generator().manual_seed(1))


@mistake("count_rounded_down", _td("count_rounded_down"))
def td_floor(tokens, *, deletion_ratio=0.15, generator=None):
    head, body, tail = _parts(tokens)
    chosen = _choose(len(body), int(deletion_ratio * len(body)), generator)  # floor, not ceil
    return torch.cat([head, body[~chosen], tail])


REQUIREMENTS = (
    Requirement('the leading [CLS]/<s> and trailing [SEP]/</s> runs stay as they are; only the body between them is corrupted',
                broken_by=('corrupts_boundary_tokens',)),
    Requirement('every random choice comes from the given torch.Generator, so a seed reproduces the result and different seeds give different results',
                broken_by=('ignores_generator', 'fixed_internal_seed')),
    Requirement('the input tensor is not modified; a new tensor is returned',
                broken_by=('mutates_input',)),
    Requirement('chosen tokens are removed, not replaced by [MASK]',
                broken_by=('masks_instead_of_deleting',)),
    Requirement('k = ceil(deletion_ratio * n) of the n BODY tokens are deleted, in every document',
                broken_by=('count_includes_boundary', 'count_rounded_down', 'ratio_inverted', 'ratio_per_document')),
    Requirement('the deleted tokens are chosen uniformly at random, not as one span',
                broken_by=('deletes_one_span',)),
    Requirement('the deletion_ratio argument is used',
                broken_by=('hardcoded_ratio',)),
    Requirement('only leading/trailing boundary runs are protected; a sequence without them is all body',
                broken_by=('assumes_boundary_tokens',)),
)


ENTRY = Entry(f"{ID}/token_deletion", token_deletion, (
    td_whole_sequence, td_count_whole, td_per_document, td_hardcoded, td_inverted, td_masks,
    td_one_span, td_strip_ends, td_in_place, td_global_rng, td_fixed_seed, td_floor
), points=2, requirements=REQUIREMENTS)
