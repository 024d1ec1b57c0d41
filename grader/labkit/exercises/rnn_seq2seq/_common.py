"""What the lesson 01 harnesses share: the course tokenizer's ids, random inputs and
padding masks, and the judging and building of the two module exercises."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, GRAD_PREFIX, Mistake, Verdict
from ...harness import Case

LESSON = "01_rnn_seq2seq"
IGNORE_INDEX = -100
# The course tokenizer's fixed ids ([PAD] 0, <s> 5, </s> 6; 7..14 are sentinels).
PAD_ID, BOS_ID, EOS_ID = 0, 5, 6
FIRST_WORD = 15


def randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    """A float64 tensor of ``shape`` from N(0, scale^2)."""
    return torch.randn(shape, generator=gen, dtype=torch.float64) * scale


def lengths_of(gen: torch.Generator, b: int, t: int, shortest: int = 2) -> torch.Tensor:
    """(B,) lengths: row 0 full, row 1 (the middle of the batch) the shortest, the others
    in between."""
    lengths = torch.randint(shortest + 1, t, (b,), generator=gen)
    lengths[0] = t
    lengths[1] = shortest
    return lengths


def right_padded(lengths: torch.Tensor, t: int) -> torch.Tensor:
    """(B, T) bool, True at the first ``lengths[b]`` positions of each row."""
    return torch.arange(t)[None, :] < lengths[:, None]  # (B, T), True = real


def left_padded(lengths: torch.Tensor, t: int) -> torch.Tensor:
    """(B, T) bool, True at the last ``lengths[b]`` positions of each row."""
    return torch.arange(t)[None, :] >= (t - lengths)[:, None]  # (B, T), True = real


class ValuesFirst:
    """Mixin: when a gradient is missing (the code never used a parameter or an
    input), judge the values first. "You ignore the context" says more than
    "no gradient reached context_to_hidden.weight", and it names the mistake."""

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        missing = [k for k in expected if k.startswith(GRAD_PREFIX) and got.get(k) is None]
        if missing and ERROR_KEY not in got:
            values = {k: v for k, v in expected.items() if not k.startswith(GRAD_PREFIX)}
            verdict = super().judge(got, values, mistakes, case, hidden=hidden)  # type: ignore[misc]
            if not verdict.passed:
                return verdict
        return super().judge(got, expected, mistakes, case, hidden=hidden)  # type: ignore[misc]
