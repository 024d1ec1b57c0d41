"""Lesson 03: wrong answers written from the notebook's spec (see the package docstring)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from reference.attention import MultiHeadAttention
from reference.embeddings import sinusoidal_positional_encoding
from reference.layers import EncoderLayer, FeedForward

# --- sinusoidal_positional_encoding -------------------------------------------------------


def pe_loop_from_one(max_len, d_model):
    pe = torch.zeros(max_len, d_model)
    for pos in range(1, max_len + 1):
        for j in range(d_model):
            angle = pos / 10000 ** ((j - j % 2) / d_model)
            pe[pos - 1, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return pe


def pe_exp_log_swapped(max_len, d_model):
    pos = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    freq = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.cos(pos * freq)
    pe[:, 1::2] = torch.sin(pos * freq)[:, : d_model // 2]
    return pe.float()


def pe_per_dimension(max_len, d_model):
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    angles = pos / torch.pow(10000.0, torch.arange(d_model, dtype=torch.float64) / d_model)
    angles[:, 0::2] = torch.sin(angles[:, 0::2])
    angles[:, 1::2] = torch.cos(angles[:, 1::2])
    return angles.float()


def pe_multiplied(max_len, d_model):
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    angle = pos * 10000.0 ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    pe = torch.empty(max_len, d_model, dtype=torch.float64)
    pe[:, ::2] = angle.sin()
    pe[:, 1::2] = angle[:, : d_model // 2].cos()
    return pe.float()


def pe_columns_first(max_len, d_model):
    return sinusoidal_positional_encoding(max_len, d_model).t().contiguous()


# --- TransformerEmbedding -----------------------------------------------------------------


class _Emb(nn.Module):
    """Right modules; the forward of each answer below goes wrong in one way."""

    def __init__(self, vocab_size, d_model, max_len, positional="sinusoidal", dropout=0.0, pad_id=0):
        super().__init__()
        self.d_model = d_model
        self.token = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.position = nn.Embedding(max_len, d_model) if positional == "learned" else None
        self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model), persistent=False)
        self.dropout = nn.Dropout(dropout)

    def pos(self, idx):
        return self.position(idx) if self.position is not None else self.pe[idx]


class EmbCountFromOne(_Emb):
    def forward(self, input_ids):
        idx = torch.arange(1, input_ids.shape[1] + 1)
        return self.dropout(self.token(input_ids) * math.sqrt(self.d_model) + self.pos(idx))


class EmbUnscaled(_Emb):
    def forward(self, input_ids):
        return self.dropout(self.token(input_ids) + self.pos(torch.arange(input_ids.shape[1])))


class EmbScaleEverything(_Emb):
    def forward(self, input_ids):
        x = self.token(input_ids) + self.pos(torch.arange(input_ids.shape[1]))
        return self.dropout(math.sqrt(self.d_model) * x)


class EmbPadZero(_Emb):
    def __init__(self, vocab_size, d_model, max_len, positional="sinusoidal", dropout=0.0, pad_id=0):
        super().__init__(vocab_size, d_model, max_len, positional, dropout, 0)

    def forward(self, input_ids):
        x = self.token(input_ids) * self.d_model ** 0.5
        return self.dropout(x + self.pos(torch.arange(input_ids.shape[1])))


# --- FeedForward ----------------------------------------------------------------------------


class _FF(nn.Module):
    def __init__(self, d_model, d_ff, dropout=0.0, activation="relu"):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)
        self.kind = activation

    def act(self, h):
        return F.gelu(h) if self.kind == "gelu" else F.relu(h)


class FFActivationAtEnd(_FF):
    def forward(self, x):
        return self.act(self.linear2(self.dropout(self.linear1(x))))


class FFActivationEverywhere(_FF):
    def forward(self, x):
        h = self.act(self.linear1(x))
        return self.act(self.linear2(self.dropout(h)))


class FFReluModule(_FF):
    def forward(self, x):
        return self.linear2(self.dropout(nn.ReLU()(self.linear1(x))))


class FFTanhGelu(_FF):
    def forward(self, x):
        act = nn.GELU(approximate="tanh") if self.kind == "gelu" else nn.ReLU()
        return self.linear2(self.dropout(act(self.linear1(x))))


class FFWithSkip(_FF):
    def forward(self, x):
        return self.linear2(self.dropout(self.act(self.linear1(x)))) + x


# --- sublayer_connection --------------------------------------------------------------------


def conn_normed_stream(x, sublayer, norm, norm_first=False):
    if not norm_first:
        return norm(x + sublayer(x))
    x = norm(x)
    return x + sublayer(x)


def conn_post_only(x, sublayer, norm, norm_first=False):
    out = sublayer(x)
    return norm(out + x)


def conn_flipped(x, sublayer, norm, norm_first=False):
    if norm_first:
        return norm(x + sublayer(x))
    return x + sublayer(norm(x))


def conn_norm_both(x, sublayer, norm, norm_first=False):
    h = sublayer(norm(x)) if norm_first else sublayer(x)
    return norm(x + h)


# --- EncoderLayer ---------------------------------------------------------------------------


class _Layer(nn.Module):
    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu", norm_first=False,
                 layer_norm_eps=1e-5):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = FeedForward(d_model, d_ff, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)

    def attend(self, h, mask):
        out, _ = self.self_attn(h, h, h, mask)
        return out

    def forward(self, x, mask=None):
        if self.norm_first:
            x = x + self.attend(self.norm1(x), mask)
            return x + self.ff(self.norm2(x))
        x = self.norm1(x + self.attend(x, mask))
        return self.norm2(x + self.ff(x))


class LayerPlainNorms(_Layer):
    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu", norm_first=False,
                 layer_norm_eps=1e-5):
        super().__init__(d_model, num_heads, d_ff, dropout, activation, norm_first)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)


class LayerNoMask(_Layer):
    def attend(self, h, mask):
        return self.self_attn(h, h, h)[0]


class LayerFlippedMask(_Layer):
    def attend(self, h, mask):
        return self.self_attn(h, h, h, None if mask is None else mask.logical_not())[0]


class LayerTupleAdded(_Layer):
    def attend(self, h, mask):
        return self.self_attn(h, h, h, mask)


class LayerParallelBranches(_Layer):
    def forward(self, x, mask=None):
        if self.norm_first:
            return x + self.attend(self.norm1(x), mask) + self.ff(self.norm2(x))
        a = self.norm1(x + self.attend(x, mask))
        return self.norm2(a + self.ff(x))


# --- Encoder --------------------------------------------------------------------------------


class _Stack(nn.Module):
    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__()
        self.layers = nn.ModuleList([EncoderLayer(d_model, num_heads, d_ff, dropout, activation,
                                                  norm_first, layer_norm_eps)
                                     for _ in range(num_layers)])
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps) if norm_first else None

    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x, mask)
        if self.norm is not None:
            x = self.norm(x)
        return x


class StackList(_Stack):
    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        nn.Module.__init__(self)
        self.layers = []
        for _ in range(num_layers):
            self.layers.append(EncoderLayer(d_model, num_heads, d_ff, dropout, activation,
                                            norm_first, layer_norm_eps))
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps) if norm_first else None


class StackOneLayerObject(_Stack):
    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__(num_layers, d_model, num_heads, d_ff, dropout, activation, norm_first,
                         layer_norm_eps)
        layer = EncoderLayer(d_model, num_heads, d_ff, dropout, activation, norm_first, layer_norm_eps)
        self.layers = nn.ModuleList([layer] * num_layers)


class StackPlainFinalNorm(_Stack):
    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__(num_layers, d_model, num_heads, d_ff, dropout, activation, norm_first,
                         layer_norm_eps)
        if norm_first:
            self.norm = nn.LayerNorm(d_model)


class StackLayersWithoutEps(_Stack):
    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__(num_layers, d_model, num_heads, d_ff, dropout, activation, norm_first,
                         layer_norm_eps)
        self.layers = nn.ModuleList([EncoderLayer(d_model, num_heads, d_ff, dropout=dropout,
                                                  activation=activation, norm_first=norm_first)
                                     for _ in range(num_layers)])


class StackNormAlways(_Stack):
    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__(num_layers, d_model, num_heads, d_ff, dropout, activation, norm_first,
                         layer_norm_eps)
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps)


WRONG = [
    ("sinusoidal_positional_encoding", pe_loop_from_one, "positions_start_at_1"),
    ("sinusoidal_positional_encoding", pe_exp_log_swapped, "sin_cos_swapped"),
    ("sinusoidal_positional_encoding", pe_per_dimension, "exponent_per_dimension"),
    ("sinusoidal_positional_encoding", pe_multiplied, "frequency_inverted"),
    ("sinusoidal_positional_encoding", pe_columns_first, "transposed"),
    ("TransformerEmbedding", EmbCountFromOne, "positions_start_at_1"),
    ("TransformerEmbedding", EmbUnscaled, "missing_scale"),
    ("TransformerEmbedding", EmbScaleEverything, "scaled_after_adding"),
    ("TransformerEmbedding", EmbPadZero, "padding_idx_hardcoded"),
    ("FeedForward", FFActivationAtEnd, "activation_after_linear2"),
    ("FeedForward", FFActivationEverywhere, "activation_twice"),
    ("FeedForward", FFReluModule, "activation_ignored"),
    ("FeedForward", FFTanhGelu, "gelu_tanh_approximation"),
    ("FeedForward", FFWithSkip, "residual_inside_feed_forward"),
    ("sublayer_connection", conn_normed_stream, "residual_from_normalised_input"),
    ("sublayer_connection", conn_post_only, "norm_first_ignored"),
    ("sublayer_connection", conn_flipped, "norm_order_swapped"),
    ("sublayer_connection", conn_norm_both, "pre_norm_output_normalised"),
    ("EncoderLayer", LayerPlainNorms, "layer_norm_eps_ignored"),
    ("EncoderLayer", LayerNoMask, "mask_ignored"),
    ("EncoderLayer", LayerFlippedMask, "mask_inverted"),
    ("EncoderLayer", LayerTupleAdded, "attention_output_is_a_tuple"),
    ("EncoderLayer", LayerParallelBranches, "ff_reads_layer_input"),
    ("Encoder", StackList, "layers_in_python_list"),
    ("Encoder", StackOneLayerObject, "layers_share_weights"),
    ("Encoder", StackPlainFinalNorm, "final_norm_ignores_eps"),
    ("Encoder", StackLayersWithoutEps, "layers_ignore_eps"),
    ("Encoder", StackNormAlways, "final_norm_in_post_norm"),
]
