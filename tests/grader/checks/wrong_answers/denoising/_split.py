"""Lesson 06 wrong answers: splitting a sequence into boundary runs and body."""

from __future__ import annotations

import torch

SPECIAL = 15  # ids 0..14 are the course's special tokens


def _split(tokens: torch.Tensor) -> tuple[list[int], list[int], list[int]]:
    xs = tokens.tolist()
    i = 0
    while i < len(xs) and xs[i] in (2, 5):  # [CLS], <s>
        i += 1
    j = len(xs)
    while j > i and xs[j - 1] in (3, 6):  # [SEP], </s>
        j -= 1
    return xs[:i], xs[i:j], xs[j:]


def _join(*parts: list[int]) -> torch.Tensor:
    return torch.tensor([t for p in parts for t in p], dtype=torch.long)

