"""Lesson 06 wrong answers: T5 span corruption, shift_right and seq2seq_loss."""

from __future__ import annotations

import torch

from ._split import _join, _split


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



def _compose(total, parts, generator):
    """A random composition of total into parts positive parts."""
    cuts = sorted((torch.randperm(total - 1, generator=generator)[:parts - 1] + 1).tolist())
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def _t5_like(tokens, sentinel_ids, density, mean_len, generator, *, sentinel=None, final=True):
    head, body, tail = _split(tokens)
    n = len(body)
    num_noise = min(max(round(density * n), 1), n - 1)
    num_spans = min(max(1, round(num_noise / mean_len)), num_noise, n - num_noise + 1)
    noise = _compose(num_noise, num_spans, generator)
    kept = _compose(n - num_noise + 2, num_spans + 1, generator)
    kept[0], kept[-1] = kept[0] - 1, kept[-1] - 1
    pick = sentinel or (lambda i: sentinel_ids[i])
    inputs, targets, pos = list(head), [], 0
    for i, length in enumerate(noise):
        inputs += body[pos: pos + kept[i]] + [pick(i)]
        pos += kept[i]
        targets += [pick(i)] + body[pos: pos + length]
        pos += length
    inputs += body[pos:] + tail
    targets += ([pick(num_spans)] if final else []) + tail
    return _join(inputs), _join(targets)


def span_corruption_one_sentinel(tokens, *, sentinel_ids, noise_density=0.15,
                                 mean_span_length=3.0, generator=None):
    return _t5_like(tokens, list(sentinel_ids), noise_density, mean_span_length, generator,
                    sentinel=lambda i: sentinel_ids[0])


def span_corruption_released_t5(tokens, *, sentinel_ids, noise_density=0.15,
                                mean_span_length=3.0, generator=None):
    """T5's released layout: no final sentinel in the targets (the lesson asks for one)."""
    return _t5_like(tokens, list(sentinel_ids), noise_density, mean_span_length, generator,
                    final=False)


def span_corruption_fixed_density(tokens, *, sentinel_ids, noise_density=0.15,
                                  mean_span_length=3.0, generator=None):
    return _t5_like(tokens, list(sentinel_ids), 0.15, 3.0, generator)


def shift_with_roll(labels, start_id, pad_id):
    out = torch.roll(labels, 1, dims=1)
    out[:, 0] = start_id
    return out


def shift_clamped(labels, start_id, pad_id):
    start = torch.full_like(labels[:, :1], start_id)
    return torch.cat([start, labels[:, :-1].clamp(min=0)], dim=1)


def shift_prepend_only(labels, start_id, pad_id):
    start = torch.full((labels.shape[0], 1), start_id, dtype=labels.dtype)
    return torch.cat([start, labels], dim=1).masked_fill(torch.cat([start, labels], 1) == -100,
                                                         pad_id)


def shift_fills_labels(labels, start_id, pad_id):
    labels[labels == -100] = pad_id
    out = labels.new_full(labels.shape, start_id)
    out[:, 1:] = labels[:, :-1]
    return out


def shift_bos_5(labels, start_id, pad_id):
    out = labels.new_empty(labels.shape)
    for b in range(labels.shape[0]):
        out[b, 0] = 5
        for t in range(1, labels.shape[1]):
            v = int(labels[b, t - 1])
            out[b, t] = pad_id if v == -100 else v
    return out


def loss_straight_to_cross_entropy(logits, labels, reduction="mean"):
    return torch.nn.functional.cross_entropy(logits, labels, reduction=reduction)


def loss_nll_of_raw_logits(logits, labels, reduction="mean"):
    picked = logits.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    keep = labels != -100
    total = -(picked * keep).sum()
    return total if reduction == "sum" else total / keep.sum()


def loss_mean_over_padded(logits, labels, reduction="mean"):
    lp = torch.log_softmax(logits, dim=-1)
    keep = labels != -100
    nll = -lp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1) * keep
    return nll.sum() if reduction == "sum" else nll.mean()


def loss_mean_of_sentences(logits, labels, reduction="mean"):
    per_sentence = []
    for b in range(logits.shape[0]):
        keep = labels[b] != -100
        per_sentence.append(torch.nn.functional.cross_entropy(logits[b][keep], labels[b][keep],
                                                              reduction=reduction))
    return torch.stack(per_sentence).sum() if reduction == "sum" \
        else torch.stack(per_sentence).mean()


def loss_ignores_reduction(logits, labels, reduction="mean"):
    v = logits.shape[-1]
    return torch.nn.functional.cross_entropy(logits.view(-1, v), labels.view(-1))

