"""Lesson 02, ``split_heads``: the reference and its catalogued mistakes (trusted; never
shipped)."""

from __future__ import annotations

from reference.attention import split_heads

from .. import Entry, Requirement, mistake
from ._common import ID


@mistake("reshape_without_transpose", "reshaping (B, T, E) straight to (B, H, T, Dh) gives the "
         "right shape but mixes time steps into heads: reshape to (B, T, H, Dh) first, then "
         "swap the T and H axes (transpose(1, 2)).")
def split_no_transpose(x, num_heads):
    b, t, e = x.shape
    return x.reshape(b, num_heads, t, e // num_heads)  # (B, H, T, Dh), time mixed into heads


@mistake("heads_interleaved", "head h must get the contiguous features h*Dh .. (h+1)*Dh - 1: "
         "view as (B, T, H, Dh) (H before Dh), not (B, T, Dh, H).")
def split_interleaved(x, num_heads):
    b, t, e = x.shape
    return x.reshape(b, t, e // num_heads, num_heads).permute(0, 3, 1, 2)  # (B, H, T, Dh)


@mistake("forgot_transpose", "after viewing as (B, T, H, Dh), swap the T and H axes "
         "(transpose(1, 2)) so that each head holds a (T, Dh) matrix.")
def split_forgot_transpose(x, num_heads):
    b, t, e = x.shape
    return x.reshape(b, t, num_heads, e // num_heads)  # (B, T, H, Dh)


@mistake("wrong_permute_order", "the permute order must give (B, H, T, Dh): from (B, T, H, Dh) "
         "that is permute(0, 2, 1, 3), i.e. transpose(1, 2).")
def split_wrong_permute(x, num_heads):
    b, t, e = x.shape
    return x.reshape(b, t, num_heads, e // num_heads).permute(0, 2, 3, 1)  # (B, H, Dh, T)


ENTRY = Entry(f"{ID}/split_heads", split_heads, (
    split_no_transpose, split_interleaved, split_forgot_transpose, split_wrong_permute), points=1,
    requirements=(
        Requirement("head h gets the contiguous features h*Dh .. (h+1)*Dh - 1 of each position",
                    broken_by=("heads_interleaved", "reshape_without_transpose")),
        Requirement("the result is (B, H, T, Dh)",
                    broken_by=("forgot_transpose", "wrong_permute_order",
                               "reshape_without_transpose")),
    ))
