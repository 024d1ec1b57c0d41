"""Lesson 02's references and mistake catalogue (trusted; never shipped).

Each mistake is a small wrong implementation with the student's signature (or,
for a question, a wrong answer). The grader runs it on the same inputs as the
candidate: when the candidate's output matches a mistake's, the feedback names
that mistake. Within an exercise the order matters only where two mistakes
agree on a case; the tests check that each one is diagnosed as itself.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from reference.attention import (
    MultiHeadAttention,
    merge_heads,
    scaled_dot_product_attention,
    split_heads,
)
from reference.masks import causal_mask, padding_mask

from ...labkit.exercises.attention import ScaledDotProductAttention as SDPAHarness
from . import Entry, mistake

# --------------------------------------------------------------------------- padding_mask


@mistake("polarity_flipped", "the mask must be True at real tokens and False at padding "
         "(True means 'may attend'): compare with != pad_id, not == pad_id.")
def padding_mask_flipped(input_ids, pad_id):
    return input_ids == pad_id


@mistake("hardcoded_pad_zero", "use the pad_id argument instead of assuming padding is 0: with "
         "another pad id, real tokens with id 0 were masked and the padding was not.")
def padding_mask_pad_zero(input_ids, pad_id):
    return input_ids != 0


@mistake("assumes_right_padding", "padding is not always at the end of a sequence (some "
         "tokenizers pad on the left): mark each position by its own id, input_ids != pad_id, "
         "instead of counting a length.")
def padding_mask_lengths(input_ids, pad_id):
    lengths = (input_ids != pad_id).sum(dim=1)  # (B,)
    return torch.arange(input_ids.size(1))[None, :] < lengths[:, None]


@mistake("mask_not_bool", "return a bool tensor (True/False), not 1/0 numbers: masked_fill "
         "and ~mask need bools, and 0/1 floats would be read as additive scores.")
def padding_mask_long(input_ids, pad_id):
    return (input_ids != pad_id).long()


@mistake("expanded_too_early", "return the plain (B, T) mask; attention code expands it to "
         "(B, 1, 1, T) itself when it needs to broadcast over heads and queries.")
def padding_mask_expanded(input_ids, pad_id):
    return (input_ids != pad_id)[:, None, None, :]


# --------------------------------------------------------------------------- causal_mask


@mistake("upper_triangle", "True means 'may attend', and query i (row) may attend keys j <= i "
         "(columns): that is the lower triangle, torch.tril, not the upper one.")
def causal_mask_upper(size):
    return torch.triu(torch.ones(size, size, dtype=torch.bool))


@mistake("excludes_diagonal", "a token may attend to itself: keep the diagonal (j <= i, not "
         "j < i). Without it the first token has nothing to attend to.")
def causal_mask_no_diagonal(size):
    return torch.tril(torch.ones(size, size, dtype=torch.bool), diagonal=-1)


@mistake("polarity_flipped", "this is the mask of blocked positions (the future, True above the "
         "diagonal); in this course True means 'may attend': the past and the token itself.")
def causal_mask_flipped(size):
    return torch.triu(torch.ones(size, size, dtype=torch.bool), diagonal=1)


@mistake("mask_not_bool", "the mask must be bool (True/False), not 1/0 numbers: torch.ones "
         "makes floats, so pass dtype=torch.bool (or compare positions, which gives bools).")
def causal_mask_float(size):
    return torch.tril(torch.ones(size, size))


# --------------------------------------------------------------------------- attention


def _scores(q: torch.Tensor, k: torch.Tensor, factor: float) -> torch.Tensor:
    return q @ k.transpose(-2, -1) * factor  # (B, H, T, S)


def _finish(scores: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None, *, flip: bool = False,
            fill: float = float("-inf"), dim: int = -1, guard: bool = True):
    if mask is not None:
        allowed = ~mask if flip else mask
        scores = scores.masked_fill(~allowed, fill)
    weights = torch.softmax(scores, dim=dim)
    if mask is not None and guard:
        weights = torch.where(torch.isnan(weights), torch.zeros_like(weights), weights)
    return weights @ v, weights


def _scale(q: torch.Tensor) -> float:
    return 1 / math.sqrt(q.shape[-1])


@mistake("missing_scale", "the scores must be divided by sqrt(d_k) (the size of the last "
         "dimension of q) before the softmax, or the softmax saturates as d_k grows.")
def sdpa_missing_scale(q, k, v, mask=None):
    return _finish(_scores(q, k, 1.0), v, mask)


@mistake("scale_by_dk", "divide the scores by sqrt(d_k), not by d_k.")
def sdpa_scale_by_dk(q, k, v, mask=None):
    return _finish(_scores(q, k, 1.0 / q.shape[-1]), v, mask)


@mistake("softmax_wrong_axis", "the softmax must normalise over the keys (the last dimension, "
         "S), so that each query's weights sum to 1.")
def sdpa_softmax_wrong_axis(q, k, v, mask=None):
    return _finish(_scores(q, k, _scale(q)), v, mask, dim=-2)


@mistake("mask_polarity_flipped", "in this course True in a mask means 'may attend': fill the "
         "scores where the mask is False (masked_fill(~mask, ...)), not where it is True.")
def sdpa_mask_flipped(q, k, v, mask=None):
    return _finish(_scores(q, k, _scale(q)), v, mask, flip=True)


@mistake("mask_ignored", "the mask was not applied: positions where the mask is False must get "
         "weight 0.")
def sdpa_mask_ignored(q, k, v, mask=None):
    return _finish(_scores(q, k, _scale(q)), v, None)


@mistake("masked_fill_zero", "filling masked scores with 0 does not hide them: exp(0) = 1 still "
         "gives them weight. Fill with -inf or a very large negative number.")
def sdpa_masked_fill_zero(q, k, v, mask=None):
    return _finish(_scores(q, k, _scale(q)), v, mask, fill=0.0)


@mistake("mask_after_softmax", "masking the weights after the softmax leaves rows that no longer "
         "sum to 1: mask the scores before the softmax, so the allowed keys share all the weight.")
def sdpa_mask_after_softmax(q, k, v, mask=None):
    weights = torch.softmax(_scores(q, k, _scale(q)), dim=-1)
    if mask is not None:
        weights = weights * mask
    return weights @ v, weights


@mistake("uniform_on_fully_masked_row", "with a large negative fill, a query whose mask row is all "
         "False gets uniform weights over masked keys; it must get zero weights and a zero output.")
def sdpa_uniform_on_masked_row(q, k, v, mask=None):
    return _finish(_scores(q, k, _scale(q)), v, mask, fill=-1e9, guard=False)


# Found by the harness's NaN property, which shows the harness's hint: the same text.
@mistake("nan_on_fully_masked_row", SDPAHarness.hints["nan_on_fully_masked_row"])
def sdpa_nan_on_masked_row(q, k, v, mask=None):
    return _finish(_scores(q, k, _scale(q)), v, mask, guard=False)


@mistake("nan_gradient_on_fully_masked_row", "the outputs are right but the gradient is NaN: an "
         "additive -inf mask makes softmax return NaN on a fully masked row, and its backward "
         "spreads NaN even after you zero that row. Use scores.masked_fill(~mask, ...) (its "
         "backward zeroes masked positions) or a large finite negative such as "
         "torch.finfo(scores.dtype).min.")
def sdpa_nan_gradient(q, k, v, mask=None):
    scores = _scores(q, k, _scale(q))
    if mask is not None:
        scores = scores + torch.zeros(mask.shape, dtype=scores.dtype).masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    if mask is not None:
        weights = torch.where(mask.any(-1, keepdim=True), weights, torch.zeros_like(weights))
    return weights @ v, weights


# --------------------------------------------------------------------------- split / merge


@mistake("reshape_without_transpose", "reshaping (B, T, E) straight to (B, H, T, Dh) gives the "
         "right shape but mixes time steps into heads: reshape to (B, T, H, Dh) first, then "
         "swap the T and H axes (transpose(1, 2)).")
def split_no_transpose(x, num_heads):
    b, t, e = x.shape
    return x.reshape(b, num_heads, t, e // num_heads)


@mistake("heads_interleaved", "head h must get the contiguous features h*Dh .. (h+1)*Dh - 1: "
         "view as (B, T, H, Dh) (H before Dh), not (B, T, Dh, H).")
def split_interleaved(x, num_heads):
    b, t, e = x.shape
    return x.reshape(b, t, e // num_heads, num_heads).permute(0, 3, 1, 2)


@mistake("forgot_transpose", "after viewing as (B, T, H, Dh), swap the T and H axes "
         "(transpose(1, 2)) so that each head holds a (T, Dh) matrix.")
def split_forgot_transpose(x, num_heads):
    b, t, e = x.shape
    return x.reshape(b, t, num_heads, e // num_heads)


@mistake("wrong_permute_order", "the permute order must give (B, H, T, Dh): from (B, T, H, Dh) "
         "that is permute(0, 2, 1, 3), i.e. transpose(1, 2).")
def split_wrong_permute(x, num_heads):
    b, t, e = x.shape
    return x.reshape(b, t, num_heads, e // num_heads).permute(0, 2, 3, 1)


@mistake("reshape_without_transpose", "reshaping (B, H, T, Dh) straight to (B, T, E) gives the "
         "right shape but mixes heads and time steps: first transpose(1, 2) to (B, T, H, Dh), "
         "then reshape.")
def merge_no_transpose(x):
    b, h, t, d = x.shape
    return x.reshape(b, t, h * d)


@mistake("heads_interleaved", "the heads are concatenated in the wrong order: each position's "
         "vector must be head 0's Dh features, then head 1's, ...; permute to (B, T, H, Dh), "
         "not (B, T, Dh, H), before flattening.")
def merge_interleaved(x):
    b, h, t, d = x.shape
    return x.permute(0, 2, 3, 1).reshape(b, t, h * d)


@mistake("not_flattened", "after transpose(1, 2) the tensor is (B, T, H, Dh): flatten the last "
         "two axes into E = H * Dh.")
def merge_not_flattened(x):
    return x.transpose(1, 2)


@mistake("view_after_transpose", "a transposed tensor is not contiguous, so .view cannot "
         "flatten it: use .reshape(...), or .contiguous().view(...).")
def merge_view_after_transpose(x):
    b, h, t, d = x.shape
    return x.transpose(1, 2).view(b, t, h * d)


# --------------------------------------------------------------------------- MultiHeadAttention


class _MHA(nn.Module):
    """The reference's parameters and a forward pieced together from parts that
    the mistakes below replace one at a time."""

    def __init__(self, d_model, num_heads, dropout=0.0, bias=True):
        super().__init__()
        self.num_heads = num_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def split(self, x):
        return split_heads(x, self.num_heads)

    def merge(self, x):
        return merge_heads(x)

    def attend(self, q, k, v, mask):
        return scaled_dot_product_attention(q, k, v, mask)

    def project(self, query, key, value):
        return self.q_proj(query), self.k_proj(key), self.v_proj(value)

    def forward(self, query, key, value, mask=None):
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
        return out, weights.mean(dim=1)


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
        weights = weights.reshape(b, h, t, s)
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


# --------------------------------------------------------------------------- questions


def _answer(id: str, hint: str, value) -> object:
    return mistake(id, hint)(value)


ENTRIES = [
    Entry("02_attention/padding_mask", padding_mask, (
        padding_mask_flipped, padding_mask_pad_zero, padding_mask_lengths, padding_mask_long,
        padding_mask_expanded), points=1),
    Entry("02_attention/causal_mask", causal_mask, (
        causal_mask_upper, causal_mask_no_diagonal, causal_mask_flipped, causal_mask_float),
        points=1),
    Entry("02_attention/scaled_dot_product_attention", scaled_dot_product_attention, (
        sdpa_missing_scale, sdpa_scale_by_dk, sdpa_softmax_wrong_axis, sdpa_mask_flipped,
        sdpa_mask_ignored, sdpa_masked_fill_zero, sdpa_mask_after_softmax,
        sdpa_uniform_on_masked_row, sdpa_nan_on_masked_row, sdpa_nan_gradient), points=3),
    Entry("02_attention/attention_weights_shape", (2, 8, 10, 12), (
        _answer("query_length_twice", "the weights have one row per query (T = 10, from q) and "
                "one column per key (S = 12, from k).", (2, 8, 10, 10)),
        _answer("keys_and_queries_swapped", "rows are queries and columns are keys: (B, H, T, S), "
                "with T from q and S from k.", (2, 8, 12, 10)),
        _answer("output_shape", "that is the shape of the attention output; the weights hold one "
                "number per (query, key) pair: (B, H, T, S).", (2, 8, 10, 64)),
    ), points=1),
    Entry("02_attention/split_heads", split_heads, (
        split_no_transpose, split_interleaved, split_forgot_transpose, split_wrong_permute),
        points=1),
    Entry("02_attention/merge_heads", merge_heads, (
        merge_no_transpose, merge_interleaved, merge_not_flattened, merge_view_after_transpose),
        points=1),
    Entry("02_attention/MultiHeadAttention", MultiHeadAttention, (
        MHAMissingOutProj, MHAQueryForKeysValues, MHAValueFromKey, MHAAveragedWeights,
        MHAScaleByDModel, MHAMaskMisaligned, MHASplitNoTranspose, MHAMergeNoTranspose,
        MHAMissingScale, MHAMaskFlipped), points=3),
    Entry("02_attention/weights_memory_growth", 4, (
        _answer("linear_growth", "the weights hold one number for every (query, key) pair: T x T "
                "per head, so doubling T doubles both sides.", 2),
        _answer("cubic_growth", "the weights tensor is (B, H, T, T): only two of its axes grow "
                "with T. (The time of Q K^T grows as T^2 * Dh, still quadratic in T.)", 8),
    ), points=1),
    Entry("02_attention/decoder_self_attention_mask", "b", (
        _answer("padding_only", "a padding mask hides pad tokens but lets every token see the "
                "tokens after it, so the model could copy the word it must predict.", "a"),
        _answer("upper_triangle", "with True = may attend, the upper triangle lets each token see "
                "the future and not the past: the opposite of what a decoder needs.", "c"),
        _answer("no_mask", "without a mask, every position sees the whole sentence, including the "
                "next token it is trained to predict.", "d"),
    ), points=1),
]
