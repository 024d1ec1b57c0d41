"""Lesson 06's references and mistake catalogue (trusted; never shipped).

The corruptions are randomised: their harnesses judge invariants and statistics, and
name a mistake by what they measure (the hints ship with the harness, which needs them
in the student's kernel; every mistake here uses exactly that text). Each mistake below
is a wrong implementation with the student's signature; the tests check that each is
diagnosed as itself, visible and hidden. ``shift_right`` and ``seq2seq_loss`` are
deterministic: their mistakes are matched by their outputs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from grader.labkit.exercises.denoising import (
    COMMON_HINTS,
    DOCUMENT_ROTATION_HINTS,
    SENTENCE_PERMUTATION_HINTS,
    SPAN_CORRUPTION_HINTS,
    TEXT_INFILLING_HINTS,
    TOKEN_DELETION_HINTS,
    TOKEN_MASKING_HINTS,
    split_boundary,
)
from reference.denoising import (
    document_rotation,
    sentence_permutation,
    seq2seq_loss,
    shift_right,
    span_corruption,
    text_infilling,
    token_deletion,
    token_masking,
)
from reference.denoising.infilling import poisson_span_lengths
from reference.denoising.span_corruption import random_composition

from . import Entry, mistake

ID = "06_denoising"


def _hint(table: dict[str, str], mid: str) -> str:
    return {**COMMON_HINTS, **table}[mid]


def _parts(tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    head, body, tail = split_boundary(tokens.tolist())
    as_tensor = lambda v: torch.tensor(v, dtype=torch.long)  # noqa: E731
    return as_tensor(head), as_tensor(body), as_tensor(tail)


def _choose(n: int, k: int, generator) -> torch.Tensor:
    """A bool (n,) with k True at uniformly random places."""
    chosen = torch.zeros(n, dtype=torch.bool)
    chosen[torch.randperm(n, generator=generator)[:k]] = True
    return chosen


def _count(n: int, ratio: float) -> int:
    return min(n, math.ceil(n * ratio - 1e-9))


# --------------------------------------------------------------------------- token_masking
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


TOKEN_MASKING_MISTAKES = (tm_whole_sequence, tm_count_whole, tm_hardcoded, tm_inverted, tm_bert_style,
                          tm_deletes, tm_strip_ends, tm_in_place, tm_global_rng, tm_fixed_seed)


# --------------------------------------------------------------------------- token_deletion
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


TOKEN_DELETION_MISTAKES = (td_whole_sequence, td_count_whole, td_per_document, td_hardcoded, td_inverted,
                           td_masks, td_one_span, td_strip_ends, td_in_place, td_global_rng, td_fixed_seed)


# --------------------------------------------------------------------------- text_infilling
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


TEXT_INFILLING_MISTAKES = (ti_whole_sequence, ti_mask_per_token, ti_fixed_length, ti_no_zero,
                           ti_hardcoded_lambda, ti_hardcoded_ratio, ti_no_mask, ti_in_place,
                           ti_global_rng, ti_fixed_seed)


# --------------------------------------------------------------------------- sentence_permutation
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


SENTENCE_PERMUTATION_MISTAKES = (sp_tokens, sp_whole_sequence, sp_split_before, sp_first_end_only,
                                 sp_drop_last, sp_rotate_sentences, sp_in_place, sp_global_rng,
                                 sp_fixed_seed)


# --------------------------------------------------------------------------- document_rotation
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


DOCUMENT_ROTATION_MISTAKES = (dr_reverse, dr_whole_sequence, dr_off_by_one, dr_in_place, dr_global_rng,
                              dr_fixed_seed)


# --------------------------------------------------------------------------- span_corruption
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


SPAN_CORRUPTION_MISTAKES = (sc_one_sentinel, sc_no_final, sc_bare_targets, sc_sentinels_from_7,
                            sc_whole_sequence, sc_tail_only_in_inputs, sc_touching, sc_length_one,
                            sc_hardcoded, sc_in_place, sc_global_rng, sc_fixed_seed)


# --------------------------------------------------------------------------- shift_right
@mistake("no_start_token", "the decoder's first input is start_id (<s>): it is what the decoder "
         "reads before predicting the first label. Put start_id in column 0, not pad_id.")
def shift_pad_first(labels, start_id, pad_id):
    out = torch.full_like(labels, pad_id)
    out[:, 1:] = labels[:, :-1]
    return out.masked_fill(out == -100, pad_id)


@mistake("keeps_ignore_index", "-100 is a label meaning 'no loss here', not a token: an embedding "
         "cannot look it up. Replace every -100 in the decoder input by pad_id.")
def shift_keeps_minus_100(labels, start_id, pad_id):
    out = torch.empty_like(labels)
    out[:, 0] = start_id
    out[:, 1:] = labels[:, :-1]
    return out


@mistake("shifted_left", "shift to the RIGHT: position t of the decoder reads the label of "
         "position t-1 (start_id at position 0), so it never sees the token it must predict.")
def shift_left(labels, start_id, pad_id):
    out = torch.full_like(labels, pad_id)
    out[:, :-1] = labels[:, 1:]
    return out.masked_fill(out == -100, pad_id)


@mistake("not_shifted", "the decoder input is the labels moved one step to the right behind "
         "start_id: [start_id, y_0, ..., y_{T-2}]. Unshifted, each position would read the very "
         "token it must predict.")
def shift_none(labels, start_id, pad_id):
    return labels.masked_fill(labels == -100, pad_id)


@mistake("start_overwrites_first_label", "do not overwrite the first label with start_id: move "
         "every label one step right (y_0 goes to position 1) and drop the last one.")
def shift_overwrite(labels, start_id, pad_id):
    out = labels.masked_fill(labels == -100, pad_id)
    out[:, 0] = start_id
    return out


@mistake("keeps_last_label", "the decoder input has the labels' length T: after prepending "
         "start_id, drop the last label (labels[:, :-1]).")
def shift_too_long(labels, start_id, pad_id):
    start = torch.full((labels.shape[0], 1), start_id, dtype=labels.dtype)
    out = torch.cat([start, labels], dim=1)
    return out.masked_fill(out == -100, pad_id)


@mistake("pads_with_zero", "replace -100 by the pad_id argument, not by 0 (here pad_id is not 0).")
def shift_pad_zero(labels, start_id, pad_id):
    out = torch.empty_like(labels)
    out[:, 0] = start_id
    out[:, 1:] = labels[:, :-1]
    return out.masked_fill(out == -100, 0)


@mistake("hardcoded_start_id", "use the start_id argument instead of a fixed id 5 (<s>).")
def shift_start_5(labels, start_id, pad_id):
    return shift_right(labels, 5, pad_id)


@mistake("mutates_input", COMMON_HINTS["mutates_input"].replace("tokens", "labels"))
def shift_in_place(labels, start_id, pad_id):
    labels[labels == -100] = pad_id
    out = torch.empty_like(labels)
    out[:, 0] = start_id
    out[:, 1:] = labels[:, :-1]
    return out


SHIFT_RIGHT_MISTAKES = (shift_pad_first, shift_keeps_minus_100, shift_left, shift_none, shift_overwrite,
                        shift_too_long, shift_pad_zero, shift_start_5, shift_in_place)


# --------------------------------------------------------------------------- seq2seq_loss
def _nll(logits, labels):
    """(B, T) negative log-likelihood, 0 at -100."""
    return F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")


@mistake("counts_ignored_positions", "positions labelled -100 (padding after each target) must "
         "not count at all; turning -100 into class 0 trains the model to predict [PAD] there. "
         "Use ignore_index=-100 (F.cross_entropy's default) or keep only labels != -100.")
def loss_ignored_as_0(logits, labels, reduction="mean"):
    v = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, v), labels.clamp(min=0).reshape(-1), reduction=reduction)


@mistake("mean_over_all_positions", "the mean is over the TARGET tokens (labels != -100), not "
         "over all B * T positions: padding must not dilute the loss.")
def loss_mean_all(logits, labels, reduction="mean"):
    total = _nll(logits, labels).sum()
    return total if reduction == "sum" else total / labels.numel()


@mistake("mean_per_sequence", "'mean' is the per-token mean over the whole batch (sum of all "
         "token losses / number of target tokens), not the mean of per-sentence means: that "
         "gives a token of a short target more weight than one of a long target.")
def loss_mean_per_sequence(logits, labels, reduction="mean"):
    nll = _nll(logits, labels)
    if reduction == "sum":
        return nll.sum()
    return (nll.sum(1) / (labels != -100).sum(1)).mean()


@mistake("sum_instead_of_mean", "reduction='mean' divides the summed loss by the number of target "
         "tokens; only reduction='sum' returns the total.")
def loss_always_sum(logits, labels, reduction="mean"):
    return _nll(logits, labels).sum()


@mistake("mean_instead_of_sum", "reduction='sum' is the book's sequence loss, the total over every "
         "target token of the batch, not the mean.")
def loss_always_mean(logits, labels, reduction="mean"):
    v = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, v), labels.reshape(-1))


@mistake("sum_averaged_over_batch", "reduction='sum' adds the losses of every target token of the "
         "whole batch; do not divide by the batch size.")
def loss_sum_per_sequence(logits, labels, reduction="mean"):
    nll = _nll(logits, labels)
    if reduction == "sum":
        return nll.sum() / labels.shape[0]
    return nll.sum() / (labels != -100).sum()


@mistake("shifted_again", "the decoder input was already shifted right by shift_right, so "
         "logits[:, t] already predicts labels[:, t]: compare them position by position, without "
         "another shift as in a causal LM.")
def loss_shifted_again(logits, labels, reduction="mean"):
    v = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, v), labels[:, 1:].reshape(-1), reduction=reduction)


@mistake("double_softmax", "F.cross_entropy applies log-softmax itself: pass the raw logits, not "
         "softmax probabilities.")
def loss_double_softmax(logits, labels, reduction="mean"):
    v = logits.shape[-1]
    return F.cross_entropy(logits.softmax(-1).reshape(-1, v), labels.reshape(-1), reduction=reduction)


@mistake("logits_labels_misaligned", "flatten logits and labels the same way: logits (B, T, V) -> "
         "(B*T, V) with reshape(-1, V), labels (B, T) -> (B*T,); transposing B and T on one side "
         "pairs each prediction with another position's label.")
def loss_misaligned(logits, labels, reduction="mean"):
    v = logits.shape[-1]
    return F.cross_entropy(logits.transpose(0, 1).reshape(-1, v), labels.reshape(-1), reduction=reduction)


SEQ2SEQ_LOSS_MISTAKES = (loss_ignored_as_0, loss_mean_all, loss_mean_per_sequence, loss_always_sum,
                         loss_always_mean, loss_sum_per_sequence, loss_shifted_again, loss_double_softmax,
                         loss_misaligned)


# --------------------------------------------------------------------------- questions
QUESTIONS = [
    Entry(f"{ID}/per_token_loss", "b", (
        mistake("thinks_speed", "one cross-entropy per token is not about speed: the chain rule "
                "makes log p(sentence) a SUM of per-token terms, and each term trains one decoding "
                "step.")("a"),
        mistake("thinks_exact_match", "an all-or-nothing score for the whole sentence gives almost "
                "no signal and no gradient; the per-token terms reward every correct step.")("c"),
        mistake("thinks_encoder_only", "the loss is computed on the DECODER's predictions, one per "
                "target token; the encoder gets its gradient through cross-attention.")("d"),
    ), points=1),
    Entry(f"{ID}/infilling_hides", "c", (
        mistake("thinks_which_tokens", "token masking hides which tokens are missing as well; what "
                "one [MASK] per span hides in addition is how MANY tokens it stands for.")("a"),
        mistake("thinks_position", "with token deletion the position is hidden; with infilling "
                "the [MASK] shows where something was taken out. Think of a span's length.")("b"),
        mistake("thinks_order", "infilling never reorders tokens (sentence permutation and "
                "document rotation do).")("d"),
    ), points=1),
    Entry(f"{ID}/t5_target_sentinels", 3, (
        mistake("forgot_final_sentinel", "round(0.15 * 40) = 6 noise tokens in round(6 / 3) = 2 "
                "spans: one sentinel per span, and the targets end with one more.")(2),
        mistake("sentinel_per_token", "sentinels mark SPANS, not tokens: 6 noise tokens in spans of "
                "about 3 make 2 spans.")(6),
        mistake("sentinel_per_token_plus_final", "sentinels mark SPANS, not tokens: 6 noise tokens "
                "in spans of about 3 make 2 spans, plus the final sentinel.")(7),
        mistake("counted_inputs_only", "the inputs hold one sentinel per span (2); the targets "
                "hold those 2 and a final one.")(1),
    ), points=1),
]
# Sanity: the T5 numbers of the question.
assert round(0.15 * 40) == 6 and max(1, round(6 / 3.0)) + 1 == 3


ENTRIES = [
    Entry(f"{ID}/token_masking", token_masking, TOKEN_MASKING_MISTAKES, points=2),
    Entry(f"{ID}/token_deletion", token_deletion, TOKEN_DELETION_MISTAKES, points=2),
    Entry(f"{ID}/text_infilling", text_infilling, TEXT_INFILLING_MISTAKES, points=3),
    Entry(f"{ID}/sentence_permutation", sentence_permutation, SENTENCE_PERMUTATION_MISTAKES, points=2),
    Entry(f"{ID}/document_rotation", document_rotation, DOCUMENT_ROTATION_MISTAKES, points=1),
    Entry(f"{ID}/span_corruption", span_corruption, SPAN_CORRUPTION_MISTAKES, points=3),
    Entry(f"{ID}/shift_right", shift_right, SHIFT_RIGHT_MISTAKES, points=2),
    Entry(f"{ID}/seq2seq_loss", seq2seq_loss, SEQ2SEQ_LOSS_MISTAKES, points=2),
    *QUESTIONS,
]
