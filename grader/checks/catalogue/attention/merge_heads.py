"""Lesson 02, ``merge_heads``: the reference and its catalogued mistakes (trusted; never
shipped)."""

from __future__ import annotations

from reference.attention import merge_heads

from .. import Entry, Requirement, mistake
from ._common import ID


@mistake("reshape_without_transpose", "reshaping (B, H, T, Dh) straight to (B, T, E) gives the "
         "right shape but mixes heads and time steps: first transpose(1, 2) to (B, T, H, Dh), "
         "then reshape.")
def merge_no_transpose(x):
    b, h, t, d = x.shape
    return x.reshape(b, t, h * d)  # (B, T, E), heads mixed with time


@mistake("heads_interleaved", "the heads are concatenated in the wrong order: each position's "
         "vector must be head 0's Dh features, then head 1's, ...; permute to (B, T, H, Dh), "
         "not (B, T, Dh, H), before flattening.")
def merge_interleaved(x):
    b, h, t, d = x.shape
    return x.permute(0, 2, 3, 1).reshape(b, t, h * d)  # (B, T, Dh, H) -> (B, T, E)


@mistake("not_flattened", "after transpose(1, 2) the tensor is (B, T, H, Dh): flatten the last "
         "two axes into E = H * Dh.")
def merge_not_flattened(x):
    return x.transpose(1, 2)  # (B, T, H, Dh)


@mistake("view_after_transpose", "a transposed tensor is not contiguous, so .view cannot "
         "flatten it: use .reshape(...), or .contiguous().view(...).")
def merge_view_after_transpose(x):
    b, h, t, d = x.shape
    return x.transpose(1, 2).view(b, t, h * d)  # (B, T, H, Dh) is not contiguous: .view raises


@mistake("heads_summed", "the heads are CONCATENATED, not added: each position's vector is "
         "head 0's Dh features followed by head 1's, and so on, E = H * Dh numbers in all. "
         "Summing over the head axis leaves Dh numbers and mixes the heads together.")
def merge_summed(x):
    return x.sum(dim=1)  # (B, T, Dh)


ENTRY = Entry(f"{ID}/merge_heads", merge_heads, (
    merge_no_transpose, merge_interleaved, merge_not_flattened, merge_view_after_transpose,
    merge_summed), points=1,
    requirements=(
        Requirement("the heads are concatenated in order along the features, head-major",
                    broken_by=("heads_interleaved", "reshape_without_transpose", "heads_summed")),
        Requirement("the result is (B, T, E) with E = H * Dh",
                    broken_by=("not_flattened", "heads_summed")),
        Requirement("works on the non-contiguous transposed tensor (reshape, not view)",
                    broken_by=("view_after_transpose",)),
    ))
