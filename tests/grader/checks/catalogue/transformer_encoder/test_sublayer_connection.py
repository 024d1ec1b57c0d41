"""sublayer_connection: a bank of correct wirings (a one-liner, the Harvard style,
torch.add) passes."""

from __future__ import annotations

import pytest
import torch

from ._common import assert_passes, assert_tolerance_margin, bank_params, modes

NAME = "sublayer_connection"


def conn_one_liner(x, sublayer, norm, norm_first=False):
    """Both orders in one conditional expression."""
    return x + sublayer(norm(x)) if norm_first else norm(x + sublayer(x))


def conn_harvard_style(x, sublayer, norm, norm_first=False):
    """Keep the residual, transform, add back, then normalise for post-norm."""
    residual = x
    if norm_first:
        x = norm(x)
    x = sublayer(x)
    x = residual + x
    if not norm_first:
        x = norm(x)
    return x


def conn_torch_add(x, sublayer, norm, norm_first=False):
    """torch.add instead of +."""
    if not norm_first:
        return norm(torch.add(x, sublayer(x)))
    return torch.add(x, sublayer(norm(x)), alpha=1.0)


BANK = [conn_one_liner, conn_harvard_style, conn_torch_add]


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("candidate", bank_params(NAME, BANK))
def test_correct_alternative_passes(candidate, hidden, seed):
    """Any correct wiring passes, however the two branches are written."""
    assert_passes(NAME, candidate, hidden, seed)


def test_tolerance_keeps_its_margin():
    """The bank stays well inside the tolerance (a few seeds here)."""
    assert_tolerance_margin(NAME, BANK)
