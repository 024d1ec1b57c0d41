"""Lesson 06, ``span_corruption``: its bank of correct alternatives, ``ALTERNATIVES``. ``test_lesson.py``
runs every bank, visible and hidden, and the checks of every randomised judge."""

from __future__ import annotations

import torch

from reference.denoising import span_corruption

from ._common import (
    _split,
)

NAME = "span_corruption"


def _segments(total, parts, generator):
    """A uniformly random split of ``total`` items into ``parts`` positive lengths
    (T5's _random_segmentation: shuffle parts-1 boundaries among total-1 slots)."""
    marks = torch.zeros(total - 1, dtype=torch.long)
    marks[: parts - 1] = 1
    marks = marks[torch.randperm(total - 1, generator=generator)]
    ids = torch.cat([torch.zeros(1, dtype=torch.long), marks.cumsum(0)])
    return torch.bincount(ids, minlength=parts).tolist()


def span_t5_interleaved(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0,
                        generator=None):
    """T5's random_spans_noise_mask: kept and noise runs interleaved, kept first and noise
    last (so the last body token is always noise)."""
    head, body, tail = _split(tokens)
    n = len(body)
    num_noise = min(max(round(noise_density * n), 1), n - 1)
    spans = min(max(1, round(num_noise / mean_span_length)), num_noise, n - num_noise)
    noise = _segments(num_noise, spans, generator)
    kept = _segments(n - num_noise, spans, generator)
    inputs, targets, pos = list(head), [], 0
    for i in range(spans):
        inputs += body[pos: pos + kept[i]]
        pos += kept[i]
        inputs.append(sentinel_ids[i])
        targets += [sentinel_ids[i], *body[pos: pos + noise[i]]]
        pos += noise[i]
    return (torch.tensor(inputs + tail, dtype=torch.long),
            torch.tensor(targets + [sentinel_ids[spans]] + tail, dtype=torch.long))


def span_mask_then_runs(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0,
                        generator=None):
    """A noise mask first (spans at distinct random gaps between kept tokens), then one
    pass that turns each run of noise into the next sentinel."""
    head, body, tail = _split(tokens)
    n = len(body)
    num_noise = min(max(round(noise_density * n), 1), n - 1)
    spans = min(max(1, round(num_noise / mean_span_length)), num_noise, n - num_noise + 1)
    cuts = sorted(torch.randperm(num_noise - 1, generator=generator)[: spans - 1].tolist()) if spans > 1 else []
    lengths = [b - a for a, b in zip([0, *[c + 1 for c in cuts]], [*[c + 1 for c in cuts], num_noise],
                                     strict=True)]
    gaps = sorted(torch.randperm(n - num_noise + 1, generator=generator)[:spans].tolist())
    noise, k = [], 0
    for g in range(n - num_noise + 1):
        while k < spans and gaps[k] == g:
            noise += [True] * lengths[k]
            k += 1
        if g < n - num_noise:
            noise.append(False)
    inputs, targets, s, prev = list(head), [], 0, False
    for t, is_noise in zip(body, noise, strict=True):
        if is_noise and not prev:
            inputs.append(sentinel_ids[s])
            targets.append(sentinel_ids[s])
            s += 1
        (targets if is_noise else inputs).append(t)
        prev = is_noise
    return (torch.tensor(inputs + tail, dtype=torch.long),
            torch.tensor(targets + [sentinel_ids[s]] + tail, dtype=torch.long))


ALTERNATIVES = [span_corruption, span_t5_interleaved, span_mask_then_runs]
