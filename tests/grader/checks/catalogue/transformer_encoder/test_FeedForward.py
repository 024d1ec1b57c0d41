"""FeedForward: a bank of correct networks (activation modules, by hand, einsum) passes;
parameters under other names are told which names are expected."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import grader

from ._common import assert_passes, assert_tolerance_margin, bank_params, modes, xid

NAME = "FeedForward"


class FFModules(nn.Module):
    """Activation as a module (nn.ReLU / nn.GELU), no parameters of its own."""

    def __init__(self, d_model, d_ff, dropout=0.0, activation="relu"):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.act = nn.GELU() if activation == "gelu" else nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x):
        return self.linear2(self.dropout(self.act(self.linear1(x))))


class FFByHand(nn.Module):
    """F.linear, ReLU as clamp, GELU written with erf."""

    def __init__(self, d_model, d_ff, dropout=0.0, activation="relu"):
        super().__init__()
        self.activation = activation
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x):
        h = F.linear(x, self.linear1.weight, self.linear1.bias)
        if self.activation == "relu":
            h = h.clamp(min=0)
        else:
            h = 0.5 * h * (1 + torch.erf(h / math.sqrt(2.0)))
        return F.linear(h, self.linear2.weight, self.linear2.bias)


class FFEinsum(nn.Module):
    """einsum over the feature axis; the activation looked up with getattr."""

    def __init__(self, d_model, d_ff, dropout=0.0, activation="relu"):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.act = getattr(F, activation)

    def forward(self, x):
        h = self.act(torch.einsum("bte,fe->btf", x, self.linear1.weight) + self.linear1.bias)
        return torch.einsum("btf,ef->bte", h, self.linear2.weight) + self.linear2.bias


BANK = [FFModules, FFByHand, FFEinsum]


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("candidate", bank_params(NAME, BANK))
def test_correct_alternative_passes(candidate, hidden, seed):
    """Any correct network passes: activation modules or functions, F.linear, einsum."""
    assert_passes(NAME, candidate, hidden, seed)


def test_parameter_names_are_explained():
    """A module with other parameter names fails with a message naming the missing and
    unexpected ones and the expected structure, not a raw load_state_dict error."""
    class Sequential(nn.Module):
        def __init__(self, d_model, d_ff, dropout=0.0, activation="relu"):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model))

        def forward(self, x):
            return self.net(x)

    result = grader.check(xid(NAME), Sequential)
    assert not result.passed and result.layer == "error"
    assert "missing linear1.bias, linear1.weight, linear2.bias, linear2.weight" in result.feedback
    assert "unexpected net.0.bias, net.0.weight, net.2.bias, net.2.weight" in result.feedback
    assert "expected exactly linear1 = nn.Linear(d_model, d_ff)" in result.feedback


def test_tolerance_keeps_its_margin():
    """The bank stays well inside the tolerance (a few seeds here)."""
    assert_tolerance_margin(NAME, BANK)
