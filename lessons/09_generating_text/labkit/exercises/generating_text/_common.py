"""What the lesson 09 harnesses share: the lesson id, random numbers, and the check that
a nucleus boundary is not within rounding of ``p`` (so float32 and float64 agree)."""

from __future__ import annotations

import torch

LESSON = "09_generating_text"
NEG_INF = float("-inf")
#: Cases keep every running total of the sorted probabilities at least this far from p.
P_MARGIN = 1e-3


def _randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=torch.float64) * scale


def _pick(gen: torch.Generator, low: int, high: int) -> int:
    """An int in [low, high]."""
    return int(torch.randint(low, high + 1, (1,), generator=gen))


def _far_from_p(logits: torch.Tensor, p: float) -> bool:
    """Whether no running total of a row's probabilities, largest first, is within
    ``P_MARGIN`` of ``p`` (then rounding cannot move the nucleus boundary)."""
    totals = torch.softmax(logits.double(), -1).sort(-1, descending=True).values.cumsum(-1)
    return bool(((totals - p).abs() > P_MARGIN).all())


def _kept_and_values(out: object, shape: torch.Size) -> dict[str, object]:
    """A filter's output as plain data: which entries are kept (not ``-inf``) and the kept
    values (0 elsewhere), so ``-inf`` never meets a subtraction in the comparison."""
    if type(out) is not torch.Tensor or out.shape != shape or not out.is_floating_point():
        return {"logits": out, "kept": out}  # the type and shape layers report it
    kept = out != NEG_INF
    return {"logits": torch.where(kept, out, torch.zeros_like(out)), "kept": kept}


def _finite_fill(got: dict[str, object]) -> bool:
    """Whether removed tokens got a large finite score (-1e9, the dtype's minimum) rather
    than ``-inf``: a kept value far below any real logit."""
    values, kept = got.get("logits"), got.get("kept")
    if type(values) is not torch.Tensor or type(kept) is not torch.Tensor:
        return False
    return bool((values[kept] <= -1e4).any()) if kept.dtype == torch.bool else False
