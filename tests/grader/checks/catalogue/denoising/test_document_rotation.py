"""Lesson 06, ``document_rotation``: its bank of correct alternatives, ``ALTERNATIVES``. ``test_lesson.py``
runs every bank, visible and hidden, and the checks of every randomised judge."""

from __future__ import annotations

import torch

from reference.denoising import document_rotation

from ._common import (
    _join,
    _split,
)

NAME = "document_rotation"


def rotation_roll(tokens, *, generator=None):
    head, body, tail = _split(tokens)
    start = int(torch.randint(len(body), (1,), generator=generator))
    return _join(head, torch.tensor(body).roll(-start).tolist(), tail)


def rotation_right(tokens, *, generator=None):
    """Rotate to the right by a uniform shift: the start is uniform too."""
    head, body, tail = _split(tokens)
    shift = int(torch.randint(len(body), (1,), generator=generator))
    return _join(head, body[len(body) - shift:] + body[: len(body) - shift], tail)


ALTERNATIVES = [document_rotation, rotation_roll, rotation_right]
