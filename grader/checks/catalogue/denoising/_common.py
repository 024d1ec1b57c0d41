"""Lesson 06's catalogue: the lesson id and the helpers its mistakes share (trusted; never shipped)."""

from __future__ import annotations

import math

import torch

from grader.labkit.exercises.denoising._common import COMMON_HINTS, split_boundary

ID = "06_denoising"


def _hint(table: dict[str, str], mid: str) -> str:
    return {**COMMON_HINTS, **table}[mid]


def _parts(tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    head, body, tail = split_boundary(tokens.tolist())
    as_tensor = lambda v: torch.tensor(v, dtype=torch.long)  # noqa: E731
    return as_tensor(head), as_tensor(body), as_tensor(tail)


def _choose(n: int, k: int, generator) -> torch.Tensor:
    """A bool (n,) with k True at uniformly random places."""
    chosen = torch.zeros(n, dtype=torch.bool)
    chosen[torch.randperm(n, generator=generator)[:k]] = True
    return chosen


def _count(n: int, ratio: float) -> int:
    return min(n, math.ceil(n * ratio - 1e-9))
