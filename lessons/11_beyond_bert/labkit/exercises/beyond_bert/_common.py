"""What the lesson 11 harnesses share: the course tokenizer's ids, random inputs, and the
verdict a randomised judge gives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, Mistake, Verdict, error_verdict

LESSON = "11_beyond_bert"
IGNORE_INDEX = -100
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = 0, 1, 2, 3, 4
NUM_SPECIAL = 15  # ids 0..14 are special in the course tokenizer
SPECIAL_IDS = list(range(NUM_SPECIAL))
#: Bounds of every statistical check, in standard errors: a correct implementation lands
#: outside mean +/- 5 SE with probability below 1e-6 per quantity.
Z_BOUND = 5.0


def _randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(shape, generator=gen, dtype=torch.float64) * scale


def _pick(gen: torch.Generator, low: int, high: int) -> int:
    """An int in [low, high]."""
    return int(torch.randint(low, high + 1, (1,), generator=gen))


def _seed(gen: torch.Generator) -> int:
    return int(torch.randint(0, 2**62, (1,), generator=gen))


def _pack(values: torch.Tensor) -> torch.Tensor:
    """Integer outputs in the smallest dtype that holds them exactly (fixtures stay small)."""
    lo, hi = (int(values.min()), int(values.max())) if values.numel() else (0, 0)
    for dtype in (torch.int8, torch.int16, torch.int32):
        info = torch.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return values.to(dtype)
    return values.clone()


def _describe(value: Any) -> str:
    if type(value) is torch.Tensor:
        return f"tensor of dtype {value.dtype}"
    if isinstance(value, torch.Tensor):
        return f"tensor subclass {type(value).__name__}"
    return type(value).__name__


def _is_int_tensor(value: Any) -> bool:
    return type(value) is torch.Tensor and not value.is_floating_point() \
        and not value.is_complex() and value.dtype != torch.bool


def _sentences(gen: torch.Generator, b: int, t: int, vocab: int, min_len: int) -> torch.Tensor:
    """``(B, T)`` rows ``[CLS] w ... w [SEP] [PAD] ...`` of ordinary ids, a few [UNK] among
    them; row 0 fills the width."""
    lengths = torch.randint(min_len, t + 1, (b,), generator=gen)
    lengths[0] = t
    words = torch.randint(NUM_SPECIAL, vocab, (b, t), generator=gen)
    words = torch.where(torch.rand(b, t, generator=gen) < 0.03, UNK_ID, words)
    ids = torch.full((b, t), PAD_ID, dtype=torch.long)
    for row, n in enumerate(lengths.tolist()):
        ids[row, :n] = words[row, :n]
        ids[row, 0], ids[row, n - 1] = CLS_ID, SEP_ID
    return ids


def random_verdict(found: tuple[str, str, str] | None, got: Mapping[str, Any], mistakes: list[Mistake],
                   hints: Mapping[str, str], context: str) -> Verdict:
    """The verdict of a randomised judge from its first failing check ``(layer, message,
    mistake id)`` (None: passed); an error is named as the catalogue's same error."""
    if ERROR_KEY in got:
        return error_verdict(str(got[ERROR_KEY]), context, mistakes)
    if found is None:
        return Verdict(True, f"passed: {context}")
    layer, message, mid = found
    # The harness's own hints first: looking one up in ``mistakes`` computes their outputs.
    hint = hints.get(mid) or next((m.hint for m in mistakes if m.id == mid), "")
    lines = [f"FAILED ({layer}) {context}", message] + ([f"Hint: {hint}"] if hint else [])
    return Verdict(False, "\n".join(lines), mid if mid else None, layer)
