"""Lesson 06, ``sentence_permutation``: its bank of correct alternatives, ``ALTERNATIVES``. ``test_lesson.py``
runs every bank, visible and hidden, and the checks of every randomised judge."""

from __future__ import annotations

import torch

from reference.denoising import sentence_permutation

from ._common import (
    _join,
    _split,
)

NAME = "sentence_permutation"


def permutation_argsort(tokens, *, sentence_end_ids, generator=None):
    """Sentences cut with a Python loop; the order is the argsort of uniforms."""
    head, body, tail = _split(tokens)
    sentences, current = [], []
    for t in body:
        current.append(t)
        if t in sentence_end_ids:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    order = torch.rand(len(sentences), generator=generator).argsort().tolist()
    return _join(head, [t for i in order for t in sentences[i]], tail)


def permutation_fisher_yates(tokens, *, sentence_end_ids, generator=None):
    """tensor_split at the end positions; Fisher-Yates with torch.randint."""
    head, body, tail = _split(tokens)
    body = torch.tensor(body, dtype=torch.long)
    cuts = (torch.isin(body, torch.tensor(list(sentence_end_ids))).nonzero().squeeze(1) + 1).tolist()
    pieces = [p for p in torch.tensor_split(body, [c for c in cuts if c < len(body)]) if len(p)]
    for i in range(len(pieces) - 1, 0, -1):
        j = int(torch.randint(i + 1, (1,), generator=generator))
        pieces[i], pieces[j] = pieces[j], pieces[i]
    return _join(head, torch.cat(pieces).tolist(), tail)


ALTERNATIVES = [sentence_permutation, permutation_argsort, permutation_fisher_yates]
