"""Lesson 06's ``token_masking`` mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch

from grader.labkit.exercises.denoising.token_masking import TOKEN_MASKING_HINTS
from reference.denoising import token_masking

from .. import Entry, Requirement, mistake
from ._common import ID, _choose, _count, _hint, _parts


def _tm(table_mid: str) -> str:
    return _hint(TOKEN_MASKING_HINTS, table_mid)


@mistake("corrupts_boundary_tokens", _tm("corrupts_boundary_tokens"))
def tm_whole_sequence(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    chosen = _choose(len(tokens), _count(len(tokens), mask_ratio), generator)
    return tokens.masked_fill(chosen, mask_token_id)


@mistake("count_includes_boundary", _tm("count_includes_boundary"))
def tm_count_whole(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    head, body, tail = _parts(tokens)
    chosen = _choose(len(body), min(len(body), _count(len(tokens), mask_ratio)), generator)
    return torch.cat([head, body.masked_fill(chosen, mask_token_id), tail])


@mistake("hardcoded_ratio", _tm("hardcoded_ratio"))
def tm_hardcoded(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    return token_masking(tokens, mask_token_id=mask_token_id, mask_ratio=0.15, generator=generator)


@mistake("ratio_inverted", _tm("ratio_inverted"))
def tm_inverted(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    head, body, tail = _parts(tokens)
    keep = torch.rand(len(body), generator=generator) < mask_ratio
    return torch.cat([head, body.masked_fill(~keep, mask_token_id), tail])


@mistake("replaces_with_other_ids", _tm("replaces_with_other_ids"))
def tm_bert_style(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    head, body, tail = _parts(tokens)
    chosen = _choose(len(body), _count(len(body), mask_ratio), generator)
    u = torch.rand(len(body), generator=generator)
    random_ids = torch.randint(15, 500, (len(body),), generator=generator)
    new = torch.where(chosen & (u < 0.8), torch.full_like(body, mask_token_id), body)
    new = torch.where(chosen & (u >= 0.8) & (u < 0.9), random_ids, new)
    return torch.cat([head, new, tail])


@mistake("changes_length", _tm("changes_length"))
def tm_deletes(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    head, body, tail = _parts(tokens)
    chosen = _choose(len(body), _count(len(body), mask_ratio), generator)
    return torch.cat([head, body[~chosen], tail])


@mistake("assumes_boundary_tokens", _tm("assumes_boundary_tokens"))
def tm_strip_ends(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    # fairseq's habit: tokens[0] and tokens[-1] are always <s> and </s>.
    inner = tokens[1:-1]
    chosen = _choose(len(inner), _count(len(inner), mask_ratio), generator)
    return torch.cat([tokens[:1], inner.masked_fill(chosen, mask_token_id), tokens[-1:]])


@mistake("mutates_input", _hint(TOKEN_MASKING_HINTS, "mutates_input"))
def tm_in_place(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    out = token_masking(tokens, mask_token_id=mask_token_id, mask_ratio=mask_ratio, generator=generator)
    tokens.copy_(out)
    return tokens


@mistake("ignores_generator", _tm("ignores_generator"))
def tm_global_rng(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    return token_masking(tokens, mask_token_id=mask_token_id, mask_ratio=mask_ratio, generator=None)


@mistake("fixed_internal_seed", _tm("fixed_internal_seed"))
def tm_fixed_seed(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    return token_masking(tokens, mask_token_id=mask_token_id, mask_ratio=mask_ratio,
                         generator=torch.Generator().manual_seed(0))


@mistake("count_rounded_down", _tm("count_rounded_down"))
def tm_floor(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    head, body, tail = _parts(tokens)
    chosen = _choose(len(body), int(mask_ratio * len(body)), generator)  # floor, not ceil
    return torch.cat([head, body.masked_fill(chosen, mask_token_id), tail])


@mistake("hardcoded_mask_id", _tm("hardcoded_mask_id"))
def tm_mask_id_4(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    return token_masking(tokens, mask_token_id=4, mask_ratio=mask_ratio, generator=generator)


REQUIREMENTS = (
    Requirement('the leading [CLS]/<s> and trailing [SEP]/</s> runs stay as they are; only the body between them is corrupted',
                broken_by=('corrupts_boundary_tokens',)),
    Requirement('every random choice comes from the given torch.Generator, so a seed reproduces the result and different seeds give different results',
                broken_by=('ignores_generator', 'fixed_internal_seed')),
    Requirement('the input tensor is not modified; a new tensor is returned',
                broken_by=('mutates_input',)),
    Requirement("the output has the input's length: chosen tokens are replaced, none removed",
                broken_by=('changes_length',)),
    Requirement('every chosen token becomes mask_token_id (no random or kept tokens)',
                broken_by=('replaces_with_other_ids',)),
    Requirement('mask_token_id is the argument, whatever its value (no fixed [MASK] id)',
                broken_by=('hardcoded_mask_id',)),
    Requirement('k = ceil(mask_ratio * n) of the n BODY tokens are masked (n counts the body only)',
                broken_by=('count_includes_boundary', 'count_rounded_down', 'ratio_inverted')),
    Requirement('the mask_ratio argument is used',
                broken_by=('hardcoded_ratio',)),
    Requirement('only leading/trailing boundary runs are protected; a sequence without them is all body',
                broken_by=('assumes_boundary_tokens',)),
)


ENTRY = Entry(f"{ID}/token_masking", token_masking, (
    tm_whole_sequence, tm_count_whole, tm_hardcoded, tm_inverted, tm_bert_style, tm_deletes,
    tm_strip_ends, tm_in_place, tm_global_rng, tm_fixed_seed, tm_floor, tm_mask_id_4
), points=2, requirements=REQUIREMENTS)
