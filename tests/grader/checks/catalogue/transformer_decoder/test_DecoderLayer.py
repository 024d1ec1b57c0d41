"""DecoderLayer: a bank of correct layers (on the provided blocks, on attention by hand
or on F.scaled_dot_product_attention, sub-layers in a loop) passes; an unknown bug fails
without a wrong hint; other parameter names are told which are expected."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import grader
from grader.checks.catalogue.transformer_decoder.DecoderLayer import _Layer as CatalogueBaseLayer
from reference.attention import MultiHeadAttention
from reference.layers import DecoderLayer, FeedForward

from ._common import assert_passes, assert_within_fifth_of_tolerance, exercise_id, modes, name_of

NAME = "DecoderLayer"


class ManualAttention(nn.Module):
    """Multi-head attention by hand: einsum scores, -inf fill, heads in a loop."""

    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__()
        self.h = num_heads
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)

    def forward(self, query, key, value, mask=None):
        q, k, v = self.q_proj(query), self.k_proj(key), self.v_proj(value)
        d = q.size(-1) // self.h
        outs, weights = [], []
        for head in range(self.h):
            part = slice(head * d, (head + 1) * d)
            scores = torch.einsum("btd,bsd->bts", q[..., part], k[..., part]) / math.sqrt(d)
            if mask is not None:
                m = mask.expand(q.size(0), self.h, q.size(1), k.size(1))[:, head]  # (B, T, S)
                scores = scores.masked_fill(~m, float("-inf"))
            w = torch.nan_to_num(torch.softmax(scores, dim=-1))
            outs.append(w @ v[..., part])
            weights.append(w)
        return self.out_proj(torch.cat(outs, dim=-1)), torch.stack(weights, dim=1)


class SDPAAttention(ManualAttention):
    """Heads batched, attention by F.scaled_dot_product_attention (same bool polarity)."""

    def forward(self, query, key, value, mask=None):
        b, t, e = query.shape

        def split(x):
            return x.view(b, x.size(1), self.h, e // self.h).transpose(1, 2)  # (B, H, L, Dh)

        q, k, v = split(self.q_proj(query)), split(self.k_proj(key)), split(self.v_proj(value))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out_proj(out.transpose(1, 2).reshape(b, t, e)), None  # (B, T, E)


class LayerOnProvidedBlocks(nn.Module):
    """What the notebook expects: the provided MultiHeadAttention and FeedForward, one
    branch per norm placement, dropout modules on each sub-layer."""

    attention = MultiHeadAttention

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu", norm_first=False,
                 layer_norm_eps=1e-5):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = self.attention(d_model, num_heads, dropout)
        self.cross_attn = self.attention(d_model, num_heads, dropout)
        self.ff = FeedForward(d_model, d_ff, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, memory, self_mask=None, memory_mask=None):
        if self.norm_first:
            h = self.norm1(x)
            x = x + self.drop(self.self_attn(h, h, h, self_mask)[0])
            x = x + self.drop(self.cross_attn(self.norm2(x), memory, memory, memory_mask)[0])
            return x + self.drop(self.ff(self.norm3(x)))
        x = self.norm1(x + self.drop(self.self_attn(x, x, x, mask=self_mask)[0]))
        x = self.norm2(x + self.drop(self.cross_attn(x, memory, memory, mask=memory_mask)[0]))
        return self.norm3(x + self.drop(self.ff(x)))


class LayerManualAttention(LayerOnProvidedBlocks):
    """The provided blocks' wiring on attention written by hand."""

    attention = ManualAttention


class LayerSDPA(LayerOnProvidedBlocks):
    """The provided blocks' wiring on F.scaled_dot_product_attention."""

    attention = SDPAAttention


class LayerSublayerList(nn.Module):
    """The three sub-layers as (function, norm) pairs in a loop; the feed-forward's
    activation applied by hand through F.gelu / F.relu."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu", norm_first=False,
                 layer_norm_eps=1e-5):
        super().__init__()
        self.norm_first, self.activation = norm_first, activation
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = nn.Module()
        self.ff.linear1, self.ff.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(d_model, eps=layer_norm_eps) for _ in range(3))

    def forward(self, x, memory, self_mask=None, memory_mask=None):
        act = F.gelu if self.activation == "gelu" else F.relu
        steps = [(lambda h: self.self_attn(h, h, h, self_mask)[0], self.norm1),
                 (lambda h: self.cross_attn(h, memory, memory, memory_mask)[0], self.norm2),
                 (lambda h: self.ff.linear2(act(self.ff.linear1(h))), self.norm3)]
        for sublayer, norm in steps:
            x = x + sublayer(norm(x)) if self.norm_first else norm(x + sublayer(x))
        return x


BANK = [CatalogueBaseLayer, LayerOnProvidedBlocks, LayerManualAttention, LayerSDPA, LayerSublayerList]


@pytest.mark.parametrize("candidate", BANK, ids=name_of)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct layer in the bank passes, visible and hidden, for several seeds."""
    assert_passes(NAME, candidate, hidden, seed)


def test_an_unknown_bug_fails_without_a_wrong_hint():
    """A wrong layer that matches no catalogued mistake fails on values with no hint."""
    class Scaled(DecoderLayer):
        def forward(self, x, memory, self_mask=None, memory_mask=None):
            return 1.01 * super().forward(x, memory, self_mask, memory_mask)

    result = grader.check(exercise_id(NAME), Scaled)
    assert not result.passed and result.mistake is None and result.layer == "values"
    assert "Hint" not in result.feedback


def test_a_layer_with_other_parameter_names_is_told_which_are_expected():
    """Parameters under other names fail with the list of the expected sub-modules."""
    class Renamed(DecoderLayer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.mlp = self.ff
            del self.ff

    result = grader.check(exercise_id(NAME), Renamed)
    assert not result.passed and "ff (FeedForward: linear1, linear2)" in result.feedback


def test_tolerance_holds_with_a_margin():
    """float32 layers against the float64 reference stay 5x inside the tolerance (the full
    measurement, 200 seeds, is quoted beside it)."""
    assert_within_fifth_of_tolerance(NAME, BANK)
