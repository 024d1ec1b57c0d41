"""Lesson 02's three short questions, with their answers and mistakes (trusted; never shipped)."""

from __future__ import annotations

from typing import Any

from .. import CatalogueMistake, Entry, mistake
from ._common import ID


def _answer(id: str, hint: str, value: Any) -> CatalogueMistake:
    """A wrong answer to a question, catalogued with its hint."""
    return mistake(id, hint)(value)


ENTRIES = [
    Entry(f"{ID}/attention_weights_shape", (2, 8, 10, 12), (
        _answer("query_length_twice", "the weights have one row per query (T = 10, from q) and "
                "one column per key (S = 12, from k).", (2, 8, 10, 10)),
        _answer("keys_and_queries_swapped", "rows are queries and columns are keys: (B, H, T, S), "
                "with T from q and S from k.", (2, 8, 12, 10)),
        _answer("output_shape", "that is the shape of the attention output; the weights hold one "
                "number per (query, key) pair: (B, H, T, S).", (2, 8, 10, 64)),
    ), points=1),
    Entry(f"{ID}/weights_memory_growth", 4, (
        _answer("linear_growth", "the weights hold one number for every (query, key) pair: T x T "
                "per head, so doubling T doubles both sides.", 2),
        _answer("cubic_growth", "the weights tensor is (B, H, T, T): only two of its axes grow "
                "with T. (The time of Q K^T grows as T^2 * Dh, still quadratic in T.)", 8),
    ), points=1),
    Entry(f"{ID}/decoder_self_attention_mask", "b", (
        _answer("padding_only", "a padding mask hides pad tokens but lets every token see the "
                "tokens after it, so the model could copy the word it must predict.", "a"),
        _answer("upper_triangle", "with True = may attend, the upper triangle lets each token see "
                "the future and not the past: the opposite of what a decoder needs.", "c"),
        _answer("no_mask", "without a mask, every position sees the whole sentence, including the "
                "next token it is trained to predict.", "d"),
    ), points=1),
]
