"""Lesson 02 (attention): what is specific to the lesson. Banks of correct alternatives
(``BANKS``) pass, visible and hidden; numeric masks are named whatever their dtype; visible
feedback says what was checked; the tolerances keep their margin; the candidates of the
notebook path (``FLOW``). What holds for every exercise (the reference passes, each
catalogued mistake is named, not-implemented and tamper objects fail) is in
``tests/grader/checks/test_contract.py``; what holds for every lesson (its notebook, sample
mistakes, fixtures, hidden feedback) in ``tests/grader/checks/test_lessons.py``.

Run as a script (``python -m tests.grader.checks.catalogue.test_attention [seeds]``) it
measures the tolerances: the largest error of the bank of correct float32
implementations against the float64 reference, over many seeds.
"""

from __future__ import annotations

import math
import sys

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import grader
from grader.checks.catalogue.attention.scaled_dot_product_attention import sdpa_missing_scale
from grader.checks.registry import get

from . import _shared as shared

LESSON = "02_attention"
HIDDEN_SEEDS = (3, 11)


def xid(name: str) -> str:
    return f"{LESSON}/{name}"


def modes():
    return [pytest.param(False, None, id="visible")] + [
        pytest.param(True, s, id=f"hidden-{s}") for s in HIDDEN_SEEDS]


# =========================================================================== the bank
# Correct alternatives, written as different students would. Each must pass.

def pm_ne(input_ids, pad_id):
    return input_ids != pad_id


def pm_method(input_ids, pad_id):
    return input_ids.ne(pad_id)


def pm_not_eq(input_ids, pad_id):
    return ~(input_ids == pad_id)


def pm_where(input_ids, pad_id):
    return torch.where(input_ids == pad_id, False, True)


def pm_loop(input_ids, pad_id):
    mask = torch.zeros(input_ids.shape, dtype=torch.bool)
    for b in range(input_ids.shape[0]):
        for t in range(input_ids.shape[1]):
            mask[b, t] = bool(input_ids[b, t] != pad_id)
    return mask


def cm_tril(size):
    return torch.tril(torch.ones(size, size, dtype=torch.bool))


def cm_arange(size):
    pos = torch.arange(size)
    return pos[None, :] <= pos[:, None]


def cm_not_triu(size):
    return ~torch.triu(torch.ones(size, size, dtype=torch.bool), diagonal=1)


def cm_float_then_bool(size):
    return torch.ones(size, size).tril().bool()


def cm_loop(size):
    mask = torch.zeros(size, size, dtype=torch.bool)
    for i in range(size):
        for j in range(i + 1):
            mask[i, j] = True
    return mask


def sdpa_inf_nan_to_num(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1).nan_to_num(0.0)
    return weights @ v, weights


def sdpa_einsum_finfo(q, k, v, mask=None):
    scores = torch.einsum("bhtd,bhsd->bhts", q, k) * q.shape[-1] ** -0.5
    if mask is not None:
        scores = scores.masked_fill(mask.logical_not(), torch.finfo(scores.dtype).min)
    weights = scores.softmax(-1)
    if mask is not None:
        weights = torch.where(mask.any(dim=-1, keepdim=True), weights, torch.zeros_like(weights))
    return torch.einsum("bhts,bhsd->bhtd", weights, v), weights


def sdpa_big_negative(q, k, v, mask=None):
    scores = torch.matmul(q / math.sqrt(k.shape[-1]), k.mT)
    if mask is not None:
        scores = scores.masked_fill(mask == 0, -1e9)
    weights = F.softmax(scores, dim=3)
    if mask is not None:
        weights = weights * mask  # zeroes masked keys: only fully masked rows change here
    return weights @ v, weights


def sdpa_additive_finfo(q, k, v, mask=None):
    scores = q @ k.transpose(2, 3) / torch.tensor(q.shape[-1], dtype=q.dtype).sqrt()
    if mask is not None:
        bias = torch.zeros(mask.shape, dtype=q.dtype).masked_fill(~mask, torch.finfo(q.dtype).min)
        scores = scores + bias
    weights = torch.softmax(scores, dim=-1)
    if mask is not None:
        weights = weights.masked_fill(~mask, 0.0)
    return weights @ v, weights


def sdpa_manual_softmax(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    e = torch.exp(scores - scores.amax(dim=-1, keepdim=True))
    if mask is not None:
        e = e * mask
    weights = e / e.sum(dim=-1, keepdim=True).clamp_min(1e-30)
    return weights @ v, weights


def sdpa_head_loop(q, k, v, mask=None):
    b, h, t, d = q.shape
    s = k.shape[2]
    full = None if mask is None else mask.expand(b, h, t, s)
    outs, ws = [], []
    for i in range(b):
        for j in range(h):
            scores = q[i, j] @ k[i, j].T / math.sqrt(d)  # (T, S)
            if full is not None:
                scores = scores.masked_fill(~full[i, j], float("-inf"))
            w = torch.softmax(scores, dim=-1)
            if full is not None:
                w = torch.where(full[i, j].any(-1, keepdim=True), w, 0.0)
            outs.append(w @ v[i, j])
            ws.append(w)
    return torch.stack(outs).reshape(b, h, t, -1), torch.stack(ws).reshape(b, h, t, s)


def sdpa_torch_fused(q, k, v, mask=None):
    """The output from F.scaled_dot_product_attention, the weights computed beside it."""
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1).nan_to_num(0.0)
    return out, weights


def split_view_transpose(x, num_heads):
    b, t, e = x.shape
    return x.view(b, t, num_heads, e // num_heads).transpose(1, 2)


def split_permute(x, num_heads):
    b, t, e = x.shape
    return x.reshape(b, t, num_heads, -1).permute(0, 2, 1, 3).contiguous()


def split_chunk(x, num_heads):
    return torch.stack(x.chunk(num_heads, dim=-1), dim=1)


def split_unflatten(x, num_heads):
    return x.unflatten(-1, (num_heads, -1)).transpose(1, 2)


def merge_transpose_reshape(x):
    b, h, t, d = x.shape
    return x.transpose(1, 2).reshape(b, t, h * d)


def merge_contiguous_view(x):
    b, h, t, d = x.shape
    return x.permute(0, 2, 1, 3).contiguous().view(b, t, -1)


def merge_cat(x):
    return torch.cat(x.unbind(dim=1), dim=-1)


def merge_flatten(x):
    return x.transpose(1, 2).flatten(2)


def _sdpa(q, k, v, mask=None):
    return sdpa_einsum_finfo(q, k, v, mask)


class _MHABase(nn.Module):
    def __init__(self, d_model, num_heads, dropout=0.0, bias=True):
        super().__init__()
        self.h, self.dh = num_heads, d_model // num_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        self.dropout = nn.Dropout(dropout)


class MHABatched(_MHABase):
    def forward(self, query, key, value, mask=None):
        q = split_view_transpose(self.q_proj(query), self.h)
        k = split_view_transpose(self.k_proj(key), self.h)
        v = split_view_transpose(self.v_proj(value), self.h)
        out, weights = _sdpa(q, k, v, mask)
        return self.out_proj(merge_transpose_reshape(out)), weights


class MHAHeadLoop(_MHABase):
    """Each head with its own slice of the projection weights, in a Python loop."""

    def forward(self, query, key, value, mask=None):
        outs, ws = [], []
        for i in range(self.h):
            rows = slice(i * self.dh, (i + 1) * self.dh)

            def proj(lin, x, rows=rows):
                bias = None if lin.bias is None else lin.bias[rows]
                return F.linear(x, lin.weight[rows], bias)

            q, k, v = proj(self.q_proj, query), proj(self.k_proj, key), proj(self.v_proj, value)
            m = None if mask is None else mask.expand(query.shape[0], self.h, *mask.shape[-2:])[:, i]
            scores = q @ k.transpose(1, 2) / math.sqrt(self.dh)  # (B, T, S)
            if m is not None:
                scores = scores.masked_fill(~m, float("-inf"))
            w = torch.nan_to_num(torch.softmax(scores, -1))
            outs.append(w @ v)
            ws.append(w)
        return self.out_proj(torch.cat(outs, dim=-1)), torch.stack(ws, dim=1)


class MHAFusedQKV(_MHABase):
    """One matmul for q, k and v in self-attention, with the same parameter names."""

    def forward(self, query, key, value, mask=None):
        if query is key and key is value:
            w = torch.cat([self.q_proj.weight, self.k_proj.weight, self.v_proj.weight])
            b = None if self.q_proj.bias is None else torch.cat(
                [self.q_proj.bias, self.k_proj.bias, self.v_proj.bias])
            q, k, v = F.linear(query, w, b).chunk(3, dim=-1)
        else:
            q, k, v = self.q_proj(query), self.k_proj(key), self.v_proj(value)
        q, k, v = (split_chunk(t, self.h) for t in (q, k, v))
        out, weights = sdpa_inf_nan_to_num(q, k, v, mask)
        return self.out_proj(merge_cat(out)), weights


class MHAFoldedBatch(_MHABase):
    """Heads folded into the batch, (B*H, T, S), with torch.bmm; the mask repeated to match."""

    def forward(self, query, key, value, mask=None):
        b, t, e = query.shape
        s = key.shape[1]

        def fold(x):  # (B, L, E) -> (B*H, L, Dh)
            return x.reshape(b, -1, self.h, self.dh).transpose(1, 2).reshape(b * self.h, -1, self.dh)

        q, k, v = fold(self.q_proj(query)), fold(self.k_proj(key)), fold(self.v_proj(value))
        scores = torch.bmm(q, k.transpose(1, 2)) / math.sqrt(self.dh)  # (B*H, T, S)
        if mask is not None:
            folded = mask.expand(b, self.h, t, s).reshape(b * self.h, t, s)
            scores = scores.masked_fill(~folded, -1e30)
        weights = torch.softmax(scores, dim=-1)
        if mask is not None:
            weights = weights.masked_fill(~folded, 0.0)
        out = torch.bmm(weights, v).reshape(b, self.h, t, self.dh).transpose(1, 2).reshape(b, t, e)
        return self.out_proj(out), weights.reshape(b, self.h, t, s)


class MHATorchSDPA(_MHABase):
    """The output through F.scaled_dot_product_attention; the weights computed beside it."""

    def forward(self, query, key, value, mask=None):
        q = split_unflatten(self.q_proj(query), self.h)
        k = split_unflatten(self.k_proj(key), self.h)
        v = split_unflatten(self.v_proj(value), self.h)
        out, weights = sdpa_torch_fused(q, k, v, mask)
        return self.out_proj(merge_flatten(out)), weights


BANKS = {
    "padding_mask": [pm_ne, pm_method, pm_not_eq, pm_where, pm_loop],
    "causal_mask": [cm_tril, cm_arange, cm_not_triu, cm_float_then_bool, cm_loop],
    "scaled_dot_product_attention": [sdpa_inf_nan_to_num, sdpa_einsum_finfo, sdpa_big_negative,
                                     sdpa_additive_finfo, sdpa_manual_softmax, sdpa_head_loop,
                                     sdpa_torch_fused],
    "split_heads": [split_view_transpose, split_permute, split_chunk, split_unflatten],
    "merge_heads": [merge_transpose_reshape, merge_contiguous_view, merge_cat, merge_flatten],
    "MultiHeadAttention": [MHABatched, MHAHeadLoop, MHAFusedQKV, MHAFoldedBatch, MHATorchSDPA],
    "attention_weights_shape": [(2, 8, 10, 12), [2, 8, 10, 12], torch.Size([2, 8, 10, 12])],
    "weights_memory_growth": [4, 4.0],
    "decoder_self_attention_mask": ["b", "B", " b "],
}


def _bank_params():
    return [pytest.param(name, cand, id=f"{name}-{getattr(cand, '__name__', repr(cand))}")
            for name, cands in BANKS.items() for cand in cands]


# =========================================================================== tests


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("name, candidate", _bank_params())
def test_correct_alternative_passes(name, candidate, hidden, seed):
    """Any correct implementation passes (einsum or matmul, -inf or a large negative
    fill, heads in a loop or batched, fused or separate projections...)."""
    result = grader.check(xid(name), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


@pytest.mark.parametrize("name, convert", [
    ("padding_mask", lambda m: m.float()), ("padding_mask", lambda m: m.int()),
    ("causal_mask", lambda m: m.long()), ("causal_mask", lambda m: m.double())])
def test_numeric_mask_is_named_whatever_its_dtype(name, convert):
    """A 0/1 mask of numbers instead of bools is named mask_not_bool, whatever the dtype."""
    ref = get(xid(name)).entry.reference

    def numeric(*args):
        return convert(ref(*args))
    for hidden in (False, True):
        result = grader.check(xid(name), numeric, hidden=hidden, seed=4)
        assert not result.passed
        assert result.mistake == "mask_not_bool", result.feedback


def test_visible_feedback_says_what_was_checked():
    """Visible feedback names the case, expected against got, the max error and the hint."""
    result = grader.check(xid("scaled_dot_product_attention"), sdpa_missing_scale.fn)
    assert "case 'no mask'" in result.feedback
    assert "max abs error" in result.feedback and "expected" in result.feedback
    assert "sqrt(d_k)" in result.feedback


# =========================================================================== tolerances


def measure_errors(name: str, candidates, seeds) -> dict[str, float]:
    """Max abs error (outputs, gradients) and the worst fraction of the tolerance used,
    of ``candidates`` run in float32 against the float64 reference."""
    return shared.measure_errors(xid(name), candidates, seeds)


FLOAT_EXERCISES = ("scaled_dot_product_attention", "split_heads", "merge_heads", "MultiHeadAttention")


@pytest.mark.parametrize("name", FLOAT_EXERCISES)
def test_tolerance_keeps_its_margin(name):
    """The bank stays well inside the tolerance (about a tenth of it, measured over
    200 seeds by running this file as a script; a few seeds here)."""
    worst = measure_errors(name, BANKS[name], seeds=range(3))
    assert worst["fraction_of_tolerance"] < 0.3, worst


# =========================================================================== notebook path

#: The notebook path of test_lessons.py: visible checks that pass, a visible check that fails
#: with its hint, and hidden evidence judged by the trusted grader (None: it passes).
FLOW = {
    "checks": [("scaled_dot_product_attention", sdpa_einsum_finfo), ("MultiHeadAttention", MHABatched)],
    "fails": [("scaled_dot_product_attention", sdpa_missing_scale.fn, "sqrt\\(d_k\\)")],
    "records": [("MultiHeadAttention", MHAHeadLoop, None), ("split_heads", split_chunk, None),
                ("scaled_dot_product_attention", sdpa_missing_scale.fn, "missing_scale")],
}


if __name__ == "__main__":
    # python -m tests.grader.checks.catalogue.test_attention [seeds] [exercise ...]
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    torch.set_num_threads(1)
    for exercise in sys.argv[2:] or FLOAT_EXERCISES:
        print(exercise, get(xid(exercise)).harness.tolerance, measure_errors(exercise, BANKS[exercise], range(n)))
