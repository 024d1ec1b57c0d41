"""Lesson 06, ``token_deletion``: its bank of correct alternatives, ``ALTERNATIVES``. ``test_lesson.py``
runs every bank, visible and hidden, and the checks of every randomised judge."""

from __future__ import annotations

import math

import torch

from reference.denoising import token_deletion

from ._common import (
    _join,
    _split,
)

NAME = "token_deletion"


def deletion_bernoulli(tokens, *, deletion_ratio=0.15, generator=None):
    head, body, tail = _split(tokens)
    keep = (torch.rand(len(body), generator=generator) >= deletion_ratio).tolist()
    return _join(head, [t for t, k in zip(body, keep, strict=True) if k], tail)


def deletion_argsort(tokens, *, deletion_ratio=0.15, generator=None):
    """Keep the n - k positions with the largest uniforms, in their original order."""
    head, body, tail = _split(tokens)
    k = math.ceil(deletion_ratio * len(body) - 1e-9)
    keep = torch.rand(len(body), generator=generator).argsort()[k:].sort().values
    return _join(head, torch.tensor(body, dtype=torch.long)[keep].tolist(), tail)


def deletion_python_loop(tokens, *, deletion_ratio=0.15, generator=None):
    """A set of indices from randperm, a list comprehension; the count rounded up."""
    head, body, tail = _split(tokens)
    k = math.ceil(deletion_ratio * len(body) - 1e-9)
    gone = set(torch.randperm(len(body), generator=generator)[:k].tolist())
    return _join(head, [t for i, t in enumerate(body) if i not in gone], tail)


ALTERNATIVES = [token_deletion, deletion_bernoulli, deletion_argsort, deletion_python_loop]
