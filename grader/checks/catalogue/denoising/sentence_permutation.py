"""Lesson 06's ``sentence_permutation`` mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch

from grader.labkit.exercises.denoising.sentence_permutation import SENTENCE_PERMUTATION_HINTS
from reference.denoising import sentence_permutation

from .. import Entry, Requirement, mistake
from ._common import ID, _hint, _parts


def _sp(mid: str) -> str:
    return _hint(SENTENCE_PERMUTATION_HINTS, mid)


def _sentences(body: torch.Tensor, ends, *, before=False, drop_last=False) -> list[torch.Tensor]:
    values, out, current = body.tolist(), [], []
    for tok in values:
        if before and tok in ends and current:
            out.append(current)
            current = []
        current.append(tok)
        if not before and tok in ends:
            out.append(current)
            current = []
    if current and not drop_last:
        out.append(current)
    return [torch.tensor(s, dtype=torch.long) for s in out]


def _permute(tokens, ends, generator, **how) -> torch.Tensor:
    head, body, tail = _parts(tokens)
    sentences = _sentences(body, list(ends), **how)
    order = torch.randperm(len(sentences), generator=generator).tolist()
    return torch.cat([head, *(sentences[i] for i in order), tail])


@mistake("shuffles_tokens", _sp("shuffles_tokens"))
def sp_tokens(tokens, *, sentence_end_ids, generator=None):
    head, body, tail = _parts(tokens)
    return torch.cat([head, body[torch.randperm(len(body), generator=generator)], tail])


@mistake("corrupts_boundary_tokens", _sp("corrupts_boundary_tokens"))
def sp_whole_sequence(tokens, *, sentence_end_ids, generator=None):
    sentences = _sentences(tokens, list(sentence_end_ids))
    order = torch.randperm(len(sentences), generator=generator).tolist()
    return torch.cat([sentences[i] for i in order])


@mistake("end_id_starts_sentence", _sp("end_id_starts_sentence"))
def sp_split_before(tokens, *, sentence_end_ids, generator=None):
    return _permute(tokens, sentence_end_ids, generator, before=True)


@mistake("uses_one_end_id", _sp("uses_one_end_id"))
def sp_first_end_only(tokens, *, sentence_end_ids, generator=None):
    return _permute(tokens, list(sentence_end_ids)[:1], generator)


@mistake("drops_unterminated_sentence", _sp("drops_unterminated_sentence"))
def sp_drop_last(tokens, *, sentence_end_ids, generator=None):
    return _permute(tokens, sentence_end_ids, generator, drop_last=True)


@mistake("order_not_uniform", _sp("order_not_uniform"))
def sp_rotate_sentences(tokens, *, sentence_end_ids, generator=None):
    # A random cyclic shift of the sentences: only k of the k! orders.
    head, body, tail = _parts(tokens)
    sentences = _sentences(body, list(sentence_end_ids))
    shift = int(torch.randint(len(sentences), (1,), generator=generator))
    return torch.cat([head, *sentences[shift:], *sentences[:shift], tail])


@mistake("mutates_input", _sp("mutates_input"))
def sp_in_place(tokens, *, sentence_end_ids, generator=None):
    out = sentence_permutation(tokens, sentence_end_ids=sentence_end_ids, generator=generator)
    tokens.copy_(out)
    return tokens


@mistake("ignores_generator", _sp("ignores_generator"))
def sp_global_rng(tokens, *, sentence_end_ids, generator=None):
    return sentence_permutation(tokens, sentence_end_ids=sentence_end_ids)


@mistake("fixed_internal_seed", _sp("fixed_internal_seed"))
def sp_fixed_seed(tokens, *, sentence_end_ids, generator=None):
    return sentence_permutation(tokens, sentence_end_ids=sentence_end_ids,
                                generator=torch.Generator().manual_seed(3))


REQUIREMENTS = (
    Requirement('the leading [CLS]/<s> and trailing [SEP]/</s> runs stay as they are; only the body between them is corrupted',
                broken_by=('corrupts_boundary_tokens',)),
    Requirement('every random choice comes from the given torch.Generator, so a seed reproduces the result and different seeds give different results',
                broken_by=('ignores_generator', 'fixed_internal_seed')),
    Requirement('the input tensor is not modified; a new tensor is returned',
                broken_by=('mutates_input',)),
    Requirement('whole sentences move; the tokens inside a sentence keep their order',
                broken_by=('shuffles_tokens',)),
    Requirement('a sentence ends after each token whose id is in sentence_end_ids (any of them)',
                broken_by=('end_id_starts_sentence', 'uses_one_end_id')),
    Requirement('tokens after the last end id form one more sentence, which is kept',
                broken_by=('drops_unterminated_sentence',)),
    Requirement('every order of the sentences is equally likely, the original one included',
                broken_by=('order_not_uniform',)),
)


ENTRY = Entry(f"{ID}/sentence_permutation", sentence_permutation, (
    sp_tokens, sp_whole_sequence, sp_split_before, sp_first_end_only, sp_drop_last,
    sp_rotate_sentences, sp_in_place, sp_global_rng, sp_fixed_seed
), points=2, requirements=REQUIREMENTS)
