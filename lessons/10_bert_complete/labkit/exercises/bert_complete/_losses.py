"""Random logits and labels for lesson 10's loss exercises."""

from __future__ import annotations

import torch

from ._common import IGNORE_INDEX, randn


def token_labels(gen: torch.Generator, b: int, t: int, classes: int, counts: list[int]) -> torch.Tensor:
    """``(B, T)`` labels with ``counts[row]`` labelled positions (after position 0) and -100
    elsewhere, as [CLS], [SEP], padding and unselected tokens are."""
    labels = torch.full((b, t), IGNORE_INDEX, dtype=torch.long)
    for row, n in enumerate(counts):
        where = 1 + torch.randperm(t - 1, generator=gen)[:n]
        labels[row, where] = torch.randint(0, classes, (n,), generator=gen)
    return labels


def logits(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return randn(gen, *shape, scale=2.0)
