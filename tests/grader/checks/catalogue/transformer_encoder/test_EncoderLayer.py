"""EncoderLayer: a bank of correct layers (two sublayer_connection calls, or explicit
branches on a student's own attention) passes."""

from __future__ import annotations

import pytest
import torch.nn.functional as F
from torch import nn

from reference.attention import MultiHeadAttention
from reference.layers import FeedForward, sublayer_connection

from ._common import assert_passes, assert_tolerance_margin, bank_params, modes
from .test_FeedForward import FFModules

NAME = "EncoderLayer"


class LayerWithConnection(nn.Module):
    """The notebook's way: two sublayer_connection calls."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu", norm_first=False,
                 layer_norm_eps=1e-5):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = FeedForward(d_model, d_ff, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)

    def forward(self, x, mask=None):
        x = sublayer_connection(x, lambda h: self.self_attn(h, h, h, mask)[0], self.norm1,
                                self.norm_first)
        return sublayer_connection(x, self.ff, self.norm2, self.norm_first)


class _FusedAttention(nn.Module):
    """A student's own attention with the same parameter names, on F.scaled_dot_product_attention."""

    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__()
        self.h = num_heads
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)

    def forward(self, query, key, value, mask=None):
        b, t, e = query.shape

        def heads(x):
            return x.view(b, -1, self.h, e // self.h).transpose(1, 2)  # (B, H, T, Dh)

        out = F.scaled_dot_product_attention(heads(self.q_proj(query)), heads(self.k_proj(key)),
                                             heads(self.v_proj(value)), attn_mask=mask)
        return self.out_proj(out.transpose(1, 2).reshape(b, t, e)), None  # (B, T, E)


class LayerExplicit(nn.Module):
    """Branches written out, functional layer_norm with the module's weights, own attention."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu", norm_first=False,
                 layer_norm_eps=1e-5):
        super().__init__()
        self.pre = norm_first
        self.eps = layer_norm_eps
        self.self_attn = _FusedAttention(d_model, num_heads, dropout)
        self.ff = FFModules(d_model, d_ff, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.drop1, self.drop2 = nn.Dropout(dropout), nn.Dropout(dropout)

    def _ln(self, norm, x):
        return F.layer_norm(x, x.shape[-1:], norm.weight, norm.bias, self.eps)

    def forward(self, x, mask=None):
        if self.pre:
            h = self._ln(self.norm1, x)
            x = x + self.drop1(self.self_attn(h, h, h, mask)[0])
            x = x + self.drop2(self.ff(self._ln(self.norm2, x)))
        else:
            attn_out, _ = self.self_attn(x, x, x, mask=mask)
            x = self._ln(self.norm1, x + self.drop1(attn_out))
            x = self._ln(self.norm2, x + self.drop2(self.ff(x)))
        return x


BANK = [LayerWithConnection, LayerExplicit]


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("candidate", bank_params(NAME, BANK))
def test_correct_alternative_passes(candidate, hidden, seed):
    """Any correct layer passes: the notebook's sublayer_connection, or explicit branches
    with functional LayerNorm and a student's own attention on F.scaled_dot_product_attention."""
    assert_passes(NAME, candidate, hidden, seed)


def test_tolerance_keeps_its_margin():
    """The bank stays well inside the tolerance (a few seeds here)."""
    assert_tolerance_margin(NAME, BANK)
