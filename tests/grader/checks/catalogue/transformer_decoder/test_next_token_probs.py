"""next_token_probs: a bank of correct distributions (matmul, einsum and a stable
softmax by hand, exp of log_softmax, flattened addmm) passes."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ._common import assert_passes, assert_within_fifth_of_tolerance, modes, name_of

NAME = "next_token_probs"


def probs_matmul(decoder_states, weight, bias):
    """@ and .softmax."""
    return (decoder_states @ weight.T + bias).softmax(dim=-1)


def probs_einsum_by_hand(decoder_states, weight, bias):
    """einsum, then a numerically stable softmax written out."""
    logits = torch.einsum("bte,ve->btv", decoder_states, weight) + bias
    z = torch.exp(logits - logits.max(dim=-1, keepdim=True).values)
    return z / z.sum(dim=-1, keepdim=True)


def probs_exp_log_softmax(decoder_states, weight, bias):
    """exp of log_softmax over axis 2."""
    return torch.exp(F.log_softmax(F.linear(decoder_states, weight, bias), dim=2))


def probs_flattened_addmm(decoder_states, weight, bias):
    """Positions flattened into rows, addmm, reshaped back."""
    b, t, e = decoder_states.shape
    logits = torch.addmm(bias, decoder_states.reshape(b * t, e), weight.t())  # (B*T, V)
    return F.softmax(logits, dim=1).reshape(b, t, -1)  # (B, T, V)


BANK = [probs_matmul, probs_einsum_by_hand, probs_exp_log_softmax, probs_flattened_addmm]


@pytest.mark.parametrize("candidate", BANK, ids=name_of)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct distribution in the bank passes, visible and hidden, for several seeds."""
    assert_passes(NAME, candidate, hidden, seed)


def test_tolerance_holds_with_a_margin():
    """float32 distributions against the float64 reference stay 5x inside the tolerance."""
    assert_within_fifth_of_tolerance(NAME, BANK)
