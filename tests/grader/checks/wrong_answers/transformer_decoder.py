"""Lesson 04: wrong answers written from the notebook's spec (see the package docstring)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from reference.attention import MultiHeadAttention
from reference.layers import FeedForward
from reference.tokenizer import BOS_ID, EOS_ID, PAD_ID

# --- decoder_self_mask ----------------------------------------------------------------------


def mask_upper_triangle(tgt_ids, pad_id=PAD_ID):
    t = tgt_ids.shape[1]
    future = torch.ones(t, t, dtype=torch.bool).triu()
    return future & (tgt_ids != pad_id).view(-1, 1, 1, t)


def mask_pad_literal(tgt_ids, pad_id=PAD_ID):
    t = tgt_ids.shape[1]
    i = torch.arange(t)
    return (i[None, :] <= i[:, None]) & (tgt_ids > 0)[:, None, None, :]


def mask_queries_padded(tgt_ids, pad_id=PAD_ID):
    t = tgt_ids.size(1)
    causal = torch.tril(torch.ones(t, t)).bool()
    return causal & (tgt_ids != pad_id).unsqueeze(1).unsqueeze(-1)


def mask_no_head_axis(tgt_ids, pad_id=PAD_ID):
    t = tgt_ids.size(1)
    causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
    return causal & (tgt_ids != pad_id)[:, None, :]


def mask_strictly_past(tgt_ids, pad_id=PAD_ID):
    t = tgt_ids.size(1)
    causal = torch.ones(t, t, dtype=torch.bool).tril(diagonal=-1)
    return causal & (tgt_ids != pad_id)[:, None, None, :]


# --- DecoderLayer ---------------------------------------------------------------------------


class _Layer(nn.Module):
    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu", norm_first=False,
                 layer_norm_eps=1e-5):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = FeedForward(d_model, d_ff, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps)

    def sa(self, h, self_mask):
        return self.self_attn(h, h, h, self_mask)[0]

    def ca(self, h, memory, memory_mask):
        return self.cross_attn(h, memory, memory, memory_mask)[0]

    def forward(self, x, memory, self_mask=None, memory_mask=None):
        if self.norm_first:
            x = x + self.sa(self.norm1(x), self_mask)
            x = x + self.ca(self.norm2(x), memory, memory_mask)
            return x + self.ff(self.norm3(x))
        x = self.norm1(x + self.sa(x, self_mask))
        x = self.norm2(x + self.ca(x, memory, memory_mask))
        return self.norm3(x + self.ff(x))


class DecNoCausal(_Layer):
    def sa(self, h, self_mask):
        out, _ = self.self_attn(h, h, h)
        return out


class DecCrossOnItself(_Layer):
    def ca(self, h, memory, memory_mask):
        out, _ = self.cross_attn(h, h, h)
        return out


class DecCrossNoMask(_Layer):
    def ca(self, h, memory, memory_mask):
        return self.cross_attn(h, memory, memory)[0]


class DecDefaultEps(_Layer):
    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu", norm_first=False,
                 layer_norm_eps=1e-5):
        super().__init__(d_model, num_heads, d_ff, dropout, activation, norm_first)
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(d_model) for _ in range(3))


class DecAlwaysPostNorm(_Layer):
    def forward(self, x, memory, self_mask=None, memory_mask=None):
        h = self.norm1(self.sa(x, self_mask) + x)
        h = self.norm2(self.ca(h, memory, memory_mask) + h)
        return self.norm3(self.ff(h) + h)


# --- next_token_probs -----------------------------------------------------------------------


def probs_sigmoid(decoder_states, weight, bias):
    return (decoder_states @ weight.t() + bias).sigmoid()


def probs_dim_one(decoder_states, weight, bias):
    return F.softmax(F.linear(decoder_states, weight, bias), 1)


def probs_no_bias(decoder_states, weight, bias):
    return torch.einsum("bte,ve->btv", decoder_states, weight).softmax(-1)


def probs_log_space(decoder_states, weight, bias):
    return F.log_softmax(decoder_states @ weight.T + bias, dim=2)


def probs_manual_batch(decoder_states, weight, bias):
    e = torch.exp(decoder_states @ weight.T + bias)
    return e / e.sum(dim=0, keepdim=True)


# --- greedy_decode --------------------------------------------------------------------------


def _decode_loop(model, src_ids, max_len, bos, eos, pad, first_eos_stops=False):
    """The student's loop, without the eval/no_grad bookkeeping."""
    src_mask = src_ids.ne(pad)
    memory = model.encode(src_ids, src_mask)
    out = torch.full((src_ids.shape[0], 1), bos, dtype=torch.long)
    done = torch.zeros(src_ids.shape[0], dtype=torch.bool)
    for _ in range(max_len - 1):
        if done.all():
            break
        step = model.decode(out, memory, src_mask)[:, -1, :].argmax(-1)
        step = torch.where(done, torch.full_like(step, pad), step)
        out = torch.cat((out, step.unsqueeze(1)), 1)
        done |= step == eos
        if first_eos_stops and done.any():
            break
    return out


def greedy_with_grad(model, src_ids, max_len, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID):
    mode = model.training
    model.eval()
    out = _decode_loop(model, src_ids, max_len, bos_id, eos_id, pad_id)
    model.train(mode)
    return out


def greedy_eos_literal(model, src_ids, max_len, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID):
    mode = model.training
    model.eval()
    with torch.no_grad():
        out = _decode_loop(model, src_ids, max_len, bos_id, 6, pad_id)
    model.train(mode)
    return out


def greedy_all_literals(model, src_ids, max_len, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID):
    mode = model.training
    model.eval()
    with torch.no_grad():
        out = _decode_loop(model, src_ids, max_len, 5, 6, 0)
    model.train(mode)
    return out


def greedy_first_eos(model, src_ids, max_len, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID):
    mode = model.training
    model.eval()
    with torch.no_grad():
        out = _decode_loop(model, src_ids, max_len, bos_id, eos_id, pad_id, first_eos_stops=True)
    model.train(mode)
    return out


@torch.no_grad()
def greedy_leaves_eval(model, src_ids, max_len, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID):
    model.eval()
    return _decode_loop(model, src_ids, max_len, bos_id, eos_id, pad_id)


WRONG = [
    ("decoder_self_mask", mask_upper_triangle, "causal_transposed"),
    ("decoder_self_mask", mask_pad_literal, "hardcoded_pad_zero"),
    ("decoder_self_mask", mask_queries_padded, "pads_queries_not_keys"),
    ("decoder_self_mask", mask_no_head_axis, "missing_head_axis"),
    ("decoder_self_mask", mask_strictly_past, "excludes_diagonal"),
    ("DecoderLayer", DecNoCausal, "self_attention_unmasked"),
    ("DecoderLayer", DecCrossOnItself, "cross_kv_from_decoder"),
    ("DecoderLayer", DecCrossNoMask, "memory_mask_ignored"),
    ("DecoderLayer", DecDefaultEps, "layer_norm_eps_ignored"),
    ("DecoderLayer", DecAlwaysPostNorm, "norm_first_ignored"),
    ("next_token_probs", probs_sigmoid, "sigmoid_instead_of_softmax"),
    ("next_token_probs", probs_dim_one, "softmax_over_positions"),
    ("next_token_probs", probs_no_bias, "missing_bias"),
    ("next_token_probs", probs_log_space, "returns_log_probs"),
    ("next_token_probs", probs_manual_batch, "softmax_over_batch"),
    ("greedy_decode", greedy_with_grad, "builds_graph"),
    ("greedy_decode", greedy_eos_literal, "hardcoded_eos_id"),
    ("greedy_decode", greedy_all_literals, "hardcoded_special_ids"),
    ("greedy_decode", greedy_first_eos, "stops_at_first_eos"),
    ("greedy_decode", greedy_leaves_eval, "training_flag_not_restored"),
]
