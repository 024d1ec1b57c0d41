"""Lesson 06 wrong answers: BART's corruptions."""

from __future__ import annotations

import math

import torch

from ._split import _join, _split


def masking_round(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    head, body, tail = _split(tokens)
    k = round(mask_ratio * len(body))
    chosen = set(torch.rand(len(body), generator=generator).argsort()[:k].tolist())
    return _join(head, [mask_token_id if i in chosen else t for i, t in enumerate(body)], tail)


def masking_floor_multinomial(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    head, body, tail = _split(tokens)
    out = torch.tensor(body, dtype=torch.long)
    k = int(mask_ratio * len(body))
    if k:
        out[torch.multinomial(torch.ones(len(body)), k, generator=generator)] = mask_token_id
    return _join(head, out.tolist(), tail)


def masking_whole_sequence(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    out = tokens.clone()
    k = math.ceil(mask_ratio * len(tokens))
    out[torch.randperm(len(tokens), generator=generator)[:k]] = mask_token_id
    return out


def masking_fixed_ratio(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    head, body, tail = _split(tokens)
    k = math.ceil(0.15 * len(body))
    chosen = set(torch.randperm(len(body), generator=generator)[:k].tolist())
    return _join(head, [mask_token_id if i in chosen else t for i, t in enumerate(body)], tail)


def deletion_floor(tokens, *, deletion_ratio=0.15, generator=None):
    head, body, tail = _split(tokens)
    gone = set(torch.randperm(len(body), generator=generator)[:int(deletion_ratio * len(body))]
               .tolist())
    return _join(head, [t for i, t in enumerate(body) if i not in gone], tail)


def deletion_round(tokens, *, deletion_ratio=0.15, generator=None):
    head, body, tail = _split(tokens)
    k = round(deletion_ratio * len(body))
    keep = sorted(torch.rand(len(body), generator=generator).argsort()[k:].tolist())
    return _join(head, [body[i] for i in keep], tail)


def deletion_as_mask(tokens, *, deletion_ratio=0.15, generator=None):
    head, body, tail = _split(tokens)
    k = math.ceil(deletion_ratio * len(body))
    chosen = set(torch.randperm(len(body), generator=generator)[:k].tolist())
    return _join(head, [4 if i in chosen else t for i, t in enumerate(body)], tail)


def rotation_fairseq(tokens, *, generator=None):
    """fairseq's offset from 1 .. n-1: the document never stays as it was."""
    head, body, tail = _split(tokens)
    if len(body) < 2:
        return tokens.clone()
    start = int(torch.randint(1, len(body), (1,), generator=generator))
    return _join(head, body[start:] + body[:start], tail)


def rotation_reversed(tokens, *, generator=None):
    head, body, tail = _split(tokens)
    return _join(head, body[::-1], tail)


def rotation_short_range(tokens, *, generator=None):
    head, body, tail = _split(tokens)
    start = int(torch.randint(0, max(len(body) - 1, 1), (1,), generator=generator))
    return _join(head, body[start:] + body[:start], tail)


def rotation_global_rng(tokens, *, generator=None):
    head, body, tail = _split(tokens)
    start = int(torch.randint(len(body), (1,)))
    return _join(head, body[start:] + body[:start], tail)


def masking_mask_id_4(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    """[MASK] written as the course's id 4 instead of the argument."""
    head, body, tail = _split(tokens)
    k = math.ceil(mask_ratio * len(body))
    for i in torch.randperm(len(body), generator=generator)[:k].tolist():
        body[i] = 4
    return _join(head, body, tail)


def deletion_whole_sequence(tokens, *, deletion_ratio=0.15, generator=None):
    k = math.ceil(deletion_ratio * len(tokens))
    keep = torch.ones(len(tokens), dtype=torch.bool)
    keep[torch.randperm(len(tokens), generator=generator)[:k]] = False
    return tokens[keep]


def deletion_fixed_ratio(tokens, *, deletion_ratio=0.15, generator=None):
    head, body, tail = _split(tokens)
    k = math.ceil(0.15 * len(body))
    gone = torch.rand(len(body), generator=generator).topk(k).indices.tolist() if k else []
    return _join(head, [t for i, t in enumerate(body) if i not in set(gone)], tail)


def _gaps(body, ratio, lam, generator, lengths_fn=None):
    """Span lengths (Poisson, cut to the budget ceil(ratio * n)) and, for each, the gap
    between kept tokens it sits in: [(gap, length), ...] sorted by gap."""
    n = len(body)
    budget, lengths = math.ceil(ratio * n), []
    while sum(lengths) < budget:
        draw = int(torch.poisson(torch.tensor([lam]), generator=generator))
        lengths.append(lengths_fn(draw) if lengths_fn else draw)
    if lengths:
        lengths[-1] -= sum(lengths) - budget
    kept = n - budget
    where = torch.randint(kept + 1, (len(lengths),), generator=generator).tolist()
    return sorted(zip(where, lengths, strict=True))


def _infill_from_gaps(body, spans, mask, *, per_token=False, with_mask=True):
    out, pos = [], 0
    spans_by_gap: dict[int, list[int]] = {}
    for gap, length in spans:
        spans_by_gap.setdefault(gap, []).append(length)
    for gap in range(len(body) - sum(length for _, length in spans) + 1):
        for length in spans_by_gap.get(gap, []):
            out += [mask] * ((length if per_token else 1) if with_mask else 0)
            pos += length
        if pos < len(body):
            out.append(body[pos])
            pos += 1
    return out


def infilling_mask_each_token(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0,
                              generator=None):
    head, body, tail = _split(tokens)
    spans = _gaps(body, mask_ratio, poisson_lambda, generator)
    return _join(head, _infill_from_gaps(body, spans, mask_token_id, per_token=True), tail)


def infilling_rounded_lambda(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0,
                             generator=None):
    """Every span gets round(lambda) tokens: no Poisson draw at all."""
    head, body, tail = _split(tokens)
    spans = _gaps(body, mask_ratio, poisson_lambda, generator,
                  lengths_fn=lambda _: round(poisson_lambda))
    return _join(head, _infill_from_gaps(body, spans, mask_token_id), tail)


def infilling_at_least_one(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0,
                           generator=None):
    """A Poisson length of 0 is bumped to 1, so no [MASK] is ever an empty span."""
    head, body, tail = _split(tokens)
    spans = _gaps(body, mask_ratio, poisson_lambda, generator, lengths_fn=lambda d: max(d, 1))
    return _join(head, _infill_from_gaps(body, spans, mask_token_id), tail)


def infilling_mask_id_4(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0,
                        generator=None):
    head, body, tail = _split(tokens)
    spans = _gaps(body, mask_ratio, poisson_lambda, generator)
    return _join(head, _infill_from_gaps(body, spans, 4), tail)


def infilling_spans_dropped(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0,
                            generator=None):
    head, body, tail = _split(tokens)
    spans = _gaps(body, mask_ratio, poisson_lambda, generator)
    return _join(head, _infill_from_gaps(body, spans, mask_token_id, with_mask=False), tail)


def _sentences_of(body, is_end):
    out, cur = [], []
    for t in body:
        cur.append(t)
        if is_end(t):
            out.append(cur)
            cur = []
    return out, cur


def permutation_first_end_id(tokens, *, sentence_end_ids, generator=None):
    head, body, tail = _split(tokens)
    first = list(sentence_end_ids)[0]
    sentences, rest = _sentences_of(body, lambda t: t == first)
    sentences += [rest] if rest else []
    order = torch.randperm(len(sentences), generator=generator).tolist()
    return _join(head, *(sentences[i] for i in order), tail)


def permutation_python_random(tokens, *, sentence_end_ids, generator=None):
    import random
    head, body, tail = _split(tokens)
    sentences, rest = _sentences_of(body, lambda t: t in set(sentence_end_ids))
    sentences += [rest] if rest else []
    random.shuffle(sentences)
    return _join(head, *sentences, tail)


def permutation_drops_rest(tokens, *, sentence_end_ids, generator=None):
    head, body, tail = _split(tokens)
    sentences, _ = _sentences_of(body, lambda t: t in set(sentence_end_ids))
    order = torch.randperm(len(sentences), generator=generator).tolist()
    return _join(head, *(sentences[i] for i in order), tail)


def permutation_whole_sequence(tokens, *, sentence_end_ids, generator=None):
    sentences, rest = _sentences_of(tokens.tolist(), lambda t: t in set(sentence_end_ids))
    sentences += [rest] if rest else []
    order = torch.randperm(len(sentences), generator=generator).tolist()
    return _join(*(sentences[i] for i in order))


def permutation_one_swap(tokens, *, sentence_end_ids, generator=None):
    """Swaps two random sentences: far from every order being equally likely."""
    head, body, tail = _split(tokens)
    sentences, rest = _sentences_of(body, lambda t: t in set(sentence_end_ids))
    sentences += [rest] if rest else []
    if len(sentences) > 1:
        i, j = torch.randperm(len(sentences), generator=generator)[:2].tolist()
        sentences[i], sentences[j] = sentences[j], sentences[i]
    return _join(head, *sentences, tail)

