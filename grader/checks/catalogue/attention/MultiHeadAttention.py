"""Lesson 02, ``MultiHeadAttention``: the reference and its catalogued mistakes (trusted;
never shipped). Some mistakes are an earlier exercise's mistake inside the module, as a
student's module reuses their own functions."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from reference.attention import (
    MultiHeadAttention,
    merge_heads,
    scaled_dot_product_attention,
    split_heads,
)

from .. import Entry, Requirement, mistake
from ._common import ID
from .merge_heads import merge_no_transpose
from .scaled_dot_product_attention import sdpa_mask_flipped, sdpa_missing_scale
from .split_heads import split_no_transpose


class _MHA(nn.Module):
    """The reference's parameters and a forward pieced together from parts that
    the mistakes below replace one at a time."""

    def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def split(self, x: Tensor) -> Tensor:
        return split_heads(x, self.num_heads)  # (B, H, L, Dh)

    def merge(self, x: Tensor) -> Tensor:
        return merge_heads(x)  # (B, T, E)

    def attend(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        return scaled_dot_product_attention(q, k, v, mask)

    def project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return self.q_proj(query), self.k_proj(key), self.v_proj(value)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        q, k, v = (self.split(t) for t in self.project(query, key, value))
        out, weights = self.attend(q, k, v, mask)
        return self.out_proj(self.merge(out)), weights


@mistake("missing_out_proj", "after merging the heads, apply the output projection "
              "out_proj (W^O in the paper): it mixes what the heads found.")
class MHAMissingOutProj(_MHA):
    def forward(self, query, key, value, mask=None):
        q, k, v = (self.split(t) for t in self.project(query, key, value))
        out, weights = self.attend(q, k, v, mask)
        return self.merge(out), weights


@mistake("query_for_keys_values", "keys and values must come from the key and value "
              "arguments (k_proj(key), v_proj(value)): in cross-attention they are the encoder's "
              "states, of another length S than the query's T.")
class MHAQueryForKeysValues(_MHA):
    def project(self, query, key, value):
        return self.q_proj(query), self.k_proj(query), self.v_proj(query)


@mistake("value_from_key", "the values must be projected from the value argument, "
              "v_proj(value), not from key.")
class MHAValueFromKey(_MHA):
    def project(self, query, key, value):
        return self.q_proj(query), self.k_proj(key), self.v_proj(key)


@mistake("weights_averaged_over_heads", "return the weights of every head, shape (B, H, T, "
              "S), not their mean over heads (what nn.MultiheadAttention returns by default).")
class MHAAveragedWeights(_MHA):
    def forward(self, query, key, value, mask=None):
        out, weights = super().forward(query, key, value, mask)
        return out, weights.mean(dim=1)  # (B, T, S)


@mistake("scale_by_d_model", "each head's scores are divided by sqrt(Dh), the head size "
              "d_model / num_heads, not by sqrt(d_model).")
class MHAScaleByDModel(_MHA):
    def attend(self, q, k, v, mask):
        h = q.shape[1]
        return scaled_dot_product_attention(q * math.sqrt(1 / h), k, v, mask)


@mistake("mask_misaligned_with_batch", "with heads folded into the batch as (B*H, T, S) "
              "(batch-major), the mask must be repeated the same way: each sequence's mask "
              "repeated H times in a row (repeat_interleave), not the whole batch H times "
              "(repeat). Simpler: keep (B, H, T, S) and let the mask broadcast.")
class MHAMaskMisaligned(_MHA):
    def attend(self, q, k, v, mask):
        b, h, t, d = q.shape
        s = k.shape[2]
        scores = (q @ k.transpose(-2, -1) / math.sqrt(d)).reshape(b * h, t, s)  # batch-major
        if mask is not None:
            folded = mask.expand(b, h, t, s).transpose(0, 1).reshape(h * b, t, s)  # head-major
            scores = scores.masked_fill(~folded, torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores, dim=-1)
        if mask is not None:
            weights = weights.masked_fill(~folded, 0.0)
        weights = weights.reshape(b, h, t, s)  # (B, H, T, S)
        return weights @ v, weights


@mistake("split_heads_without_transpose", "the heads are split with a plain reshape to "
              "(B, H, T, Dh), which mixes time steps into heads: fix split_heads first.")
class MHASplitNoTranspose(_MHA):
    def split(self, x):
        return split_no_transpose.fn(x, self.num_heads)


@mistake("merge_heads_without_transpose", "the heads are merged with a plain reshape to "
              "(B, T, E), which mixes heads and time steps: fix merge_heads first.")
class MHAMergeNoTranspose(_MHA):
    def merge(self, x):
        return merge_no_transpose.fn(x)


@mistake("attention_missing_scale", "the attention scores are not divided by sqrt(Dh): "
              "fix scaled_dot_product_attention first.")
class MHAMissingScale(_MHA):
    def attend(self, q, k, v, mask):
        return sdpa_missing_scale.fn(q, k, v, mask)


@mistake("attention_mask_flipped", "the mask is applied with the wrong polarity (True means "
              "'may attend'): fix scaled_dot_product_attention first.")
class MHAMaskFlipped(_MHA):
    def attend(self, q, k, v, mask):
        return sdpa_mask_flipped.fn(q, k, v, mask)


@mistake("heads_summed", "the heads' outputs are CONCATENATED before out_proj (E = H * Dh "
         "features), not added up: merge them as in merge_heads.")
class MHAHeadsSummed(_MHA):
    def merge(self, x):
        return x.sum(dim=1)  # (B, T, Dh): out_proj cannot take it


ENTRY = Entry(f"{ID}/MultiHeadAttention", MultiHeadAttention, (
    MHAMissingOutProj, MHAQueryForKeysValues, MHAValueFromKey, MHAAveragedWeights,
    MHAScaleByDModel, MHAMaskMisaligned, MHASplitNoTranspose, MHAMergeNoTranspose,
    MHAMissingScale, MHAMaskFlipped, MHAHeadsSummed), points=3,
    requirements=(
        Requirement("q, k and v are q_proj(query), k_proj(key), v_proj(value)",
                    broken_by=("query_for_keys_values", "value_from_key")),
        Requirement("split into heads of size Dh = d_model / num_heads and merge them back by "
                    "concatenation", broken_by=("split_heads_without_transpose",
                                                "merge_heads_without_transpose", "heads_summed")),
        Requirement("each head's scores are scaled by 1/sqrt(Dh)",
                    broken_by=("scale_by_d_model", "attention_missing_scale")),
        Requirement("the mask (True = may attend) applies to every head of its own sequence",
                    broken_by=("mask_misaligned_with_batch", "attention_mask_flipped")),
        Requirement("the merged heads go through out_proj", broken_by=("missing_out_proj",)),
        Requirement("return (output (B, T, E), weights of every head (B, H, T, S))",
                    broken_by=("weights_averaged_over_heads",)),
    ))
