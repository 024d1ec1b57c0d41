"""Lesson 01, ``teacher_forcing_batch``: a bank of correct implementations (torch.cat,
roll, slices, F.pad, plain Python lists) passes, visible and hidden."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from reference.rnn import teacher_forcing_batch

from ._common import assert_passes, modes, name_of

NAME = "teacher_forcing_batch"


def tf_cat(tgt_ids, bos_id, pad_id):
    bos = torch.full((tgt_ids.shape[0], 1), bos_id, dtype=tgt_ids.dtype)
    return torch.cat([bos, tgt_ids[:, :-1]], dim=1), tgt_ids.masked_fill(tgt_ids == pad_id, -100)


def tf_roll(tgt_ids, bos_id, pad_id):
    tgt_in = tgt_ids.roll(1, dims=1)
    tgt_in[:, 0] = bos_id
    labels = torch.where(tgt_ids == pad_id, torch.full_like(tgt_ids, -100), tgt_ids)
    return tgt_in, labels


def tf_slices(tgt_ids, bos_id, pad_id):
    tgt_in = tgt_ids.new_full(tgt_ids.shape, pad_id)
    tgt_in[:, 0] = bos_id
    tgt_in[:, 1:] = tgt_ids[:, :-1]
    labels = tgt_ids.clone()
    labels[labels == pad_id] = -100
    return tgt_in, labels


def tf_pad(tgt_ids, bos_id, pad_id):
    tgt_in = F.pad(tgt_ids[:, :-1], (1, 0), value=bos_id)
    labels = tgt_ids.masked_fill(~tgt_ids.ne(pad_id), -100)
    return tgt_in, labels


def tf_python(tgt_ids, bos_id, pad_id):
    rows = tgt_ids.tolist()
    tgt_in = [[bos_id] + row[:-1] for row in rows]
    labels = [[-100 if tok == pad_id else tok for tok in row] for row in rows]
    return torch.tensor(tgt_in), torch.tensor(labels)


TF_ALTERNATIVES = [teacher_forcing_batch, tf_cat, tf_roll, tf_slices, tf_pad, tf_python]



@pytest.mark.parametrize("candidate", TF_ALTERNATIVES, ids=name_of)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct teacher_forcing_batch in the bank passes, visible and hidden."""
    assert_passes(NAME, candidate, hidden, seed)
