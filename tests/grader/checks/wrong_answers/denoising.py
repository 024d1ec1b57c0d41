"""Lesson 06: wrong answers written from the notebook's spec (see the package docstring)."""

from __future__ import annotations

import math

import torch

SPECIAL = 15  # ids 0..14 are the course's special tokens


def _split(tokens: torch.Tensor) -> tuple[list[int], list[int], list[int]]:
    xs = tokens.tolist()
    i = 0
    while i < len(xs) and xs[i] in (2, 5):  # [CLS], <s>
        i += 1
    j = len(xs)
    while j > i and xs[j - 1] in (3, 6):  # [SEP], </s>
        j -= 1
    return xs[:i], xs[i:j], xs[j:]


def _join(*parts: list[int]) -> torch.Tensor:
    return torch.tensor([t for p in parts for t in p], dtype=torch.long)


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


def span_corruption_counting_ids(tokens, *, sentinel_ids, noise_density=0.15,
                                 mean_span_length=3.0, generator=None):
    """The T5 rule followed exactly, but span i's sentinel taken as sentinel_ids[0] + i."""
    head, body, tail = _split(tokens)
    n = len(body)
    num_noise = min(max(round(noise_density * n), 1), n - 1)
    num_spans = min(max(1, round(num_noise / mean_span_length)), num_noise, n - num_noise + 1)
    starts = sorted(torch.randperm(n - num_noise - 1, generator=generator)[:num_spans].tolist()) \
        if n - num_noise - 1 >= num_spans else list(range(num_spans))
    lengths = [num_noise // num_spans + (i < num_noise % num_spans) for i in range(num_spans)]
    inputs, targets, pos, kept = list(head), [], 0, 0
    for i, (start, length) in enumerate(zip(starts, lengths, strict=True)):
        gap = start + 1 - kept
        inputs += body[pos: pos + gap]
        pos += gap
        kept += gap
        inputs.append(sentinel_ids[0] + i)
        targets += [sentinel_ids[0] + i] + body[pos: pos + length]
        pos += length
    inputs += body[pos:] + tail
    targets += [sentinel_ids[0] + num_spans] + tail
    return _join(inputs), _join(targets)


WRONG = [
    ("token_masking", masking_round, "count_rounded_down"),
    ("token_masking", masking_floor_multinomial, "count_rounded_down"),
    ("token_masking", masking_whole_sequence, "corrupts_boundary_tokens"),
    ("token_masking", masking_fixed_ratio, "hardcoded_ratio"),
    ("token_deletion", deletion_floor, "count_rounded_down"),
    ("token_deletion", deletion_round, "count_rounded_down"),
    ("token_deletion", deletion_as_mask, "masks_instead_of_deleting"),
    ("document_rotation", rotation_fairseq, "start_never_zero"),
    ("document_rotation", rotation_reversed, "reverses_instead_of_rotating"),
    ("document_rotation", rotation_short_range, "start_not_uniform"),
    ("document_rotation", rotation_global_rng, "ignores_generator"),
    ("span_corruption", span_corruption_counting_ids, "assumes_consecutive_sentinels"),
]
