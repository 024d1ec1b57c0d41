"""sinusoidal_positional_encoding: a bank of correct tables (float32 or float64, torch,
NumPy or plain Python, interleaved by slicing or by stacking) passes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ._common import assert_passes, assert_tolerance_margin, bank_params, modes

NAME = "sinusoidal_positional_encoding"


def pe_exp_log(max_len, d_model):
    """The Annotated-Transformer form in float32: exp(-2i ln(10000) / d)."""
    pe = torch.zeros(max_len, d_model)
    position = torch.arange(0, max_len).unsqueeze(1).float()
    div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)[:, : d_model // 2]
    return pe


def pe_pow(max_len, d_model):
    """10000 ** (2i / d) in float32, divided."""
    pos = torch.arange(max_len, dtype=torch.float32)[:, None]
    freq = 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    angle = pos / freq
    pe = torch.empty(max_len, d_model)
    pe[:, ::2] = angle.sin()
    pe[:, 1::2] = angle.cos()[:, : d_model // 2]
    return pe


def pe_python_loop(max_len, d_model):
    """Plain Python with math.sin / math.cos, then a tensor."""
    rows = []
    for pos in range(max_len):
        row = []
        for j in range(d_model):
            angle = pos / 10000 ** (2 * (j // 2) / d_model)
            row.append(math.sin(angle) if j % 2 == 0 else math.cos(angle))
        rows.append(row)
    return torch.tensor(rows)


def pe_stack_interleave(max_len, d_model):
    """sin and cos stacked on a last axis and flattened, which interleaves them."""
    half = (d_model + 1) // 2
    pos = torch.arange(max_len).float().unsqueeze(-1)
    inv = 1.0 / (10000 ** (torch.arange(half).float() * 2 / d_model))
    angle = pos * inv  # (L, ceil(d/2))
    return torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(1)[:, :d_model]


def pe_numpy(max_len, d_model):
    """NumPy in float64, converted at the end."""
    pos = np.arange(max_len)[:, None]
    j = np.arange(d_model)[None, :]
    angle = pos / np.power(10000.0, (2 * (j // 2)) / d_model)
    pe = np.where(j % 2 == 0, np.sin(angle), np.cos(angle))
    return torch.from_numpy(pe)


def pe_phase_shift(max_len, d_model):
    """cos(a) written as sin(a + pi/2), one sine for the whole table."""
    j = torch.arange(d_model)
    angle = torch.arange(max_len)[:, None] * torch.exp(-(j - j % 2) * math.log(10000.0) / d_model)
    return torch.sin(angle + (j % 2) * math.pi / 2)


BANK = [pe_exp_log, pe_pow, pe_python_loop, pe_stack_interleave, pe_numpy, pe_phase_shift]


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("candidate", bank_params(NAME, BANK))
def test_correct_alternative_passes(candidate, hidden, seed):
    """Any correct table passes: float32 or float64, torch, NumPy or Python, exp-log or
    pow frequencies, cos written as a phase-shifted sine."""
    assert_passes(NAME, candidate, hidden, seed)


def test_tolerance_keeps_its_margin():
    """The bank stays well inside the tolerance (a few seeds here)."""
    assert_tolerance_margin(NAME, BANK)
