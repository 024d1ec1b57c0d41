"""Encoder: a bank of correct stacks (nn.Identity as the post-norm final norm, deep
copies of one layer, functools.reduce) passes."""

from __future__ import annotations

import copy
import functools

import pytest
from torch import nn

from reference.layers import EncoderLayer

from ._common import assert_passes, assert_tolerance_margin, bank_params, modes
from .test_EncoderLayer import LayerWithConnection

NAME = "Encoder"


class StackIdentityNorm(nn.Module):
    """nn.Identity instead of None for post-norm (it has no parameters)."""

    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__()
        self.layers = nn.ModuleList([EncoderLayer(d_model, num_heads, d_ff, dropout, activation,
                                                  norm_first, layer_norm_eps)
                                     for _ in range(num_layers)])
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps) if norm_first else nn.Identity()

    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x, mask=mask)
        return self.norm(x)


class StackDeepcopy(nn.Module):
    """One layer deep-copied num_layers times (torch's _get_clones): independent weights."""

    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__()
        layer = LayerWithConnection(d_model, num_heads, d_ff, dropout, activation, norm_first, layer_norm_eps)
        self.layers = nn.ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])
        self.norm_first = norm_first
        if norm_first:
            self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        else:
            self.norm = None

    def forward(self, x, mask=None):
        x = functools.reduce(lambda h, layer: layer(h, mask), self.layers, x)
        return self.norm(x) if self.norm_first else x


BANK = [StackIdentityNorm, StackDeepcopy]


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("candidate", bank_params(NAME, BANK))
def test_correct_alternative_passes(candidate, hidden, seed):
    """Any correct stack passes: nn.Identity or None for the post-norm final norm,
    a ModuleList of new layers or deep copies of one."""
    assert_passes(NAME, candidate, hidden, seed)


def test_tolerance_keeps_its_margin():
    """The bank stays well inside the tolerance (a few seeds here)."""
    assert_tolerance_margin(NAME, BANK)
