"""Lesson 06, ``shift_right``: its bank of correct alternatives, ``ALTERNATIVES``. ``test_lesson.py``
runs every bank, visible and hidden."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reference.denoising import shift_right

NAME = "shift_right"


def shift_cat(labels, start_id, pad_id):
    start = torch.full((labels.shape[0], 1), start_id, dtype=labels.dtype)
    out = torch.cat([start, labels[:, :-1]], dim=1)
    return torch.where(out == -100, torch.full_like(out, pad_id), out)


def shift_roll(labels, start_id, pad_id):
    out = labels.masked_fill(labels == -100, pad_id).roll(1, dims=1)
    out[:, 0] = start_id
    return out


def shift_pad(labels, start_id, pad_id):
    out = F.pad(labels[:, :-1], (1, 0), value=start_id)
    out[out == -100] = pad_id
    return out


def shift_python(labels, start_id, pad_id):
    rows = [[start_id] + [pad_id if t == -100 else t for t in row[:-1]] for row in labels.tolist()]
    return torch.tensor(rows, dtype=torch.long)


ALTERNATIVES = [shift_right, shift_cat, shift_roll, shift_pad, shift_python]
