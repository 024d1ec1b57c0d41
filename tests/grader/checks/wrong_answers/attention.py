"""Lesson 02: wrong answers written from the notebook's spec (see the package docstring)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from reference.attention import MultiHeadAttention, merge_heads, split_heads


def padding_mask_eq(input_ids, pad_id):
    return input_ids.eq(pad_id)


def padding_mask_positive(input_ids, pad_id):
    return input_ids > 0


def padding_mask_int(input_ids, pad_id):
    return (input_ids != pad_id).int()


def padding_mask_broadcastable(input_ids, pad_id):
    return (input_ids != pad_id).unsqueeze(1).unsqueeze(2)  # (B, 1, 1, T)


def padding_mask_from_lengths(input_ids, pad_id):
    mask = torch.zeros(input_ids.shape, dtype=torch.bool)
    for b, row in enumerate(input_ids):
        mask[b, :int((row != pad_id).sum())] = True
    return mask


def causal_future(size):
    i = torch.arange(size)
    return i[:, None] < i[None, :]


def causal_strict(size):
    i = torch.arange(size)
    return i[:, None] > i[None, :]


def causal_float(size):
    return torch.ones(size, size).tril()


def causal_columns_rows_swapped(size):
    i = torch.arange(size)
    return i[:, None] <= i[None, :]


def split_view_direct(x, num_heads):
    b, t, e = x.shape
    return x.view(b, num_heads, t, e // num_heads)  # (B, H, T, Dh)


def split_no_swap(x, num_heads):
    return x.unflatten(-1, (num_heads, -1))  # (B, T, H, Dh)


def split_strided(x, num_heads):
    return torch.stack([x[..., h::num_heads] for h in range(num_heads)], dim=1)  # (B, H, T, Dh)


def split_einsum_order(x, num_heads):
    b, t, e = x.shape
    return torch.einsum("bthd->bhdt", x.reshape(b, t, num_heads, -1))  # (B, H, Dh, T)


def merge_add_heads(x):
    out = x[:, 0]
    for h in range(1, x.size(1)):
        out = out + x[:, h]
    return out  # (B, T, Dh)


def merge_contiguous_view(x):
    b, h, t, d = x.shape
    return x.contiguous().view(b, t, -1)  # (B, T, E), heads mixed with time


def merge_permute_view(x):
    b, h, t, d = x.shape
    return x.permute(0, 2, 1, 3).view(b, t, h * d)


def merge_only_permute(x):
    return x.permute(0, 2, 1, 3)  # (B, T, H, Dh)


def merge_feature_major(x):
    return x.permute(0, 2, 3, 1).flatten(2)  # (B, T, Dh * H)


def _masked(scores, mask, fill):
    return scores if mask is None else scores.masked_fill(~mask, fill)


def _zero_empty_rows(weights, mask):
    return weights if mask is None else weights * mask.any(-1, keepdim=True)


def sdpa_sigmoid(q, k, v, mask=None):
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.size(-1))
    weights = torch.sigmoid(_masked(scores, mask, -1e9))
    return torch.matmul(weights, v), weights


def sdpa_no_scale(q, k, v, mask=None):
    scores = _masked(torch.matmul(q, k.transpose(-1, -2)), mask, torch.finfo(q.dtype).min)
    weights = _zero_empty_rows(F.softmax(scores, dim=-1), mask)
    return weights @ v, weights


def sdpa_softmax_queries(q, k, v, mask=None):
    scores = _masked(q @ k.mT / q.size(-1) ** 0.5, mask, torch.finfo(q.dtype).min)
    weights = scores.softmax(dim=2)
    weights = weights if mask is None else weights.masked_fill(~mask, 0.0)
    return weights @ v, weights


def sdpa_fill_zero(q, k, v, mask=None):
    scores = _masked(q @ k.mT / q.size(-1) ** 0.5, mask, 0.0)
    weights = scores.softmax(dim=-1)
    return weights @ v, weights


def sdpa_mask_weights(q, k, v, mask=None):
    weights = (q @ k.mT / q.size(-1) ** 0.5).softmax(dim=-1)
    if mask is not None:
        weights = weights.masked_fill(~mask, 0.0)
    return weights @ v, weights


class _MHA(MultiHeadAttention):
    """A student's forward, written out, with hooks the wrong answers below change."""

    def scale(self, q):
        return q.size(-1) ** -0.5

    def forward(self, query, key, value, mask=None):
        q = split_heads(self.q_proj(query), self.num_heads)  # (B, H, T, Dh)
        k = split_heads(self.k_proj(key), self.num_heads)  # (B, H, S, Dh)
        v = split_heads(self.v_proj(value), self.num_heads)  # (B, H, S, Dh)
        scores = q @ k.transpose(-2, -1) * self.scale(q)  # (B, H, T, S)
        if mask is not None:
            scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        weights = scores.softmax(-1)
        if mask is not None:
            weights = weights.masked_fill(~mask, 0.0)
        return self.finish(weights @ v, weights)

    def finish(self, out, weights):
        return self.out_proj(merge_heads(out)), weights


class MHASumOfHeads(_MHA):
    def finish(self, out, weights):
        total = sum(out[:, h] for h in range(out.size(1)))  # (B, T, Dh)
        return self.out_proj(total), weights


class MHANoOutput(_MHA):
    def finish(self, out, weights):
        return merge_heads(out), weights


class MHAMeanWeights(_MHA):
    def finish(self, out, weights):
        return self.out_proj(merge_heads(out)), weights.mean(1)


class MHAModelScale(_MHA):
    def scale(self, q):
        return 1.0 / math.sqrt(q.size(1) * q.size(-1))


class MHASelfOnly(_MHA):
    def forward(self, query, key, value, mask=None):
        return super().forward(query, query, query, mask)


WRONG = [
    ("padding_mask", padding_mask_eq, "polarity_flipped"),
    ("padding_mask", padding_mask_positive, "hardcoded_pad_zero"),
    ("padding_mask", padding_mask_int, "mask_not_bool"),
    ("padding_mask", padding_mask_broadcastable, "expanded_too_early"),
    ("padding_mask", padding_mask_from_lengths, "assumes_right_padding"),
    ("causal_mask", causal_future, "polarity_flipped"),
    ("causal_mask", causal_strict, "excludes_diagonal"),
    ("causal_mask", causal_float, "mask_not_bool"),
    ("causal_mask", causal_columns_rows_swapped, "upper_triangle"),
    ("split_heads", split_view_direct, "reshape_without_transpose"),
    ("split_heads", split_no_swap, "forgot_transpose"),
    ("split_heads", split_strided, "heads_interleaved"),
    ("split_heads", split_einsum_order, "wrong_permute_order"),
    ("merge_heads", merge_add_heads, "heads_summed"),
    ("merge_heads", merge_contiguous_view, "reshape_without_transpose"),
    ("merge_heads", merge_permute_view, "view_after_transpose"),
    ("merge_heads", merge_only_permute, "not_flattened"),
    ("merge_heads", merge_feature_major, "heads_interleaved"),
    ("scaled_dot_product_attention", sdpa_sigmoid, "sigmoid_instead_of_softmax"),
    ("scaled_dot_product_attention", sdpa_no_scale, "missing_scale"),
    ("scaled_dot_product_attention", sdpa_softmax_queries, "softmax_wrong_axis"),
    ("scaled_dot_product_attention", sdpa_fill_zero, "masked_fill_zero"),
    ("scaled_dot_product_attention", sdpa_mask_weights, "mask_after_softmax"),
    ("MultiHeadAttention", MHASumOfHeads, "heads_summed"),
    ("MultiHeadAttention", MHANoOutput, "missing_out_proj"),
    ("MultiHeadAttention", MHAMeanWeights, "weights_averaged_over_heads"),
    ("MultiHeadAttention", MHAModelScale, "scale_by_d_model"),
    ("MultiHeadAttention", MHASelfOnly, "query_for_keys_values"),
]
