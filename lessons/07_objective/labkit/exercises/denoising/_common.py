"""What the lesson 06 harnesses share: the course tokenizer's ids, the case-building
and statistics helpers, and the hints every corruption uses.

Token ids follow the course tokenizer: ``[PAD]`` 0, ``[UNK]`` 1, ``[CLS]`` 2,
``[SEP]`` 3, ``[MASK]`` 4, ``<s>`` 5, ``</s>`` 6, sentinels ``<extra_id_0..7>`` 7..14.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

LESSON = "06_denoising"
IGNORE_INDEX = -100
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3, 4, 5, 6
SENTINEL_IDS = tuple(range(7, 15))
LEADING_IDS = (CLS_ID, BOS_ID)
TRAILING_IDS = (SEP_ID, EOS_ID)
#: Sentence-end ids used by the cases (ordinary ids, like "." and "?").
DOT, QMARK = 20, 21
#: Body tokens are distinct ids drawn from [WORD_BASE, WORD_BASE + WORD_POOL).
WORD_BASE, WORD_POOL = 30, 2000
#: Bounds of every statistical check, in standard errors (a correct implementation lands
#: outside mean +/- 5 SE with probability below 1e-6 per quantity).
Z_BOUND = 5.0
#: How a case's boundary looks: (leading tokens, trailing tokens).
BOUNDARIES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "cls": ((CLS_ID,), (SEP_ID,)),
    "bos": ((BOS_ID,), (EOS_ID,)),
    "eos": ((), (EOS_ID,)),
    "none": ((), ()),
    "both": ((CLS_ID, BOS_ID), (SEP_ID, EOS_ID)),
}


# --------------------------------------------------------------------------- helpers


def _seeds(gen: torch.Generator, n: int) -> list[int]:
    return torch.randint(0, 2**62, (n,), generator=gen).tolist()


def _words(gen: torch.Generator, n: int) -> list[int]:
    """``n`` distinct ordinary ids."""
    return (WORD_BASE + torch.randperm(WORD_POOL, generator=gen)[:n]).tolist()


def _with_boundary(body: list[int], kind: str) -> list[int]:
    head, tail = BOUNDARIES[kind]
    return [*head, *body, *tail]


def _pack(values: torch.Tensor) -> torch.Tensor:
    """Integer tensors in the smallest dtype that holds them exactly (fixtures stay small)."""
    lo, hi = (int(values.min()), int(values.max())) if values.numel() else (0, 0)
    for dtype in (torch.int16, torch.int32):
        info = torch.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return values.to(dtype)
    return values.long()


def _pack_rows(rows: Sequence[Sequence[int]]) -> dict[str, torch.Tensor]:
    """Rows of different lengths as a padded ``(N, T)`` tensor and their lengths."""
    width = max(len(r) for r in rows)
    tokens = torch.zeros(len(rows), width, dtype=torch.long)
    for i, r in enumerate(rows):
        tokens[i, : len(r)] = torch.tensor(list(r), dtype=torch.long)
    return {"tokens": _pack(tokens), "lengths": _pack(torch.tensor([len(r) for r in rows]))}


def _unpack_rows(tokens: torch.Tensor, lengths: torch.Tensor) -> list[torch.Tensor]:
    tokens = tokens.long()
    return [tokens[i, :n].clone() for i, n in enumerate(lengths.long().tolist())]


def split_boundary(tokens: Sequence[int]) -> tuple[list[int], list[int], list[int]]:
    """``(head, body, tail)``: the leading [CLS]/<s> run, the body, the trailing [SEP]/</s> run."""
    values = list(tokens)
    start = 0
    while start < len(values) and values[start] in LEADING_IDS:
        start += 1
    end = len(values)
    while end > start and values[end - 1] in TRAILING_IDS:
        end -= 1
    return values[:start], values[start:end], values[end:]


def _describe_value(value: Any) -> str:
    if type(value) is torch.Tensor:
        return f"tensor of dtype {value.dtype} and shape {tuple(value.shape)}"
    if isinstance(value, torch.Tensor):
        return f"tensor subclass {type(value).__name__}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of length {len(value)}"
    return type(value).__name__


def _show(ids: Sequence[int], limit: int = 18) -> str:
    ids = list(ids)
    shown = " ".join(str(i) for i in ids[:limit])
    return "[" + shown + (" ...]" if len(ids) > limit else "]")


def _band(p: float, n: int) -> float:
    """5 binomial standard errors of a rate p measured on n trials, plus half a count."""
    return Z_BOUND * math.sqrt(max(p * (1 - p), 0.0) / max(n, 1)) + 0.5 / max(n, 1)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _closest(value: float, rivals: list[tuple[str, float, float]]) -> str | None:
    """The rival hypothesis (id, mean, bound) nearest to ``value`` within its bound, if any."""
    inside = [(abs(value - mean) / bound, mid) for mid, mean, bound in rivals
              if bound > 0 and abs(value - mean) <= bound]
    return min(inside)[1] if inside else None


def _is_subsequence(short: Sequence[int], long: Sequence[int]) -> bool:
    it = iter(long)
    return all(any(tok == other for other in it) for tok in short)


Problem = tuple[str, str, str]  # (layer, what was measured, mistake id)


COMMON_HINTS: dict[str, str] = {
    "wrong_return_type": "return a new 1-D torch.long tensor of token ids (torch.tensor(list, "
    "dtype=torch.long) or torch.cat of pieces of the input).",
    "wrong_dtype": "token ids are integers: return a torch.long (int64) tensor, e.g. build it "
    "with torch.tensor(ids, dtype=torch.long) or from pieces of the input.",
    "wrong_shape": "the function takes ONE sequence, a 1-D tensor (T,), and returns a 1-D tensor.",
    "mutates_input": "tokens must not change: work on a copy (tokens.clone()) or build a new "
    "tensor; masked_fill_ / index assignment on tokens itself changes the caller's data.",
    "ignores_generator": "draw every random number from the generator you are given "
    "(torch.rand(..., generator=generator), torch.randperm(n, generator=generator), "
    "torch.poisson(rates, generator=generator)); the global random state, Python's random "
    "or numpy make two runs with the same seed differ.",
    "fixed_internal_seed": "the output must depend on the generator: calls with different seeds "
    "all gave the same result. Use the generator passed in, not one you create or re-seed, and "
    "make sure the random draws decide the corruption.",
    "corrupts_boundary_tokens": "a leading [CLS]/<s> run and a trailing [SEP]/</s> run are never "
    "corrupted and never move: split them off first (head, body, tail), corrupt the body only, "
    "and put head + body + tail back together.",
}
