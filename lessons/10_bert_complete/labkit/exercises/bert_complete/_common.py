"""What the lesson 10 harnesses share: the lesson id, the course tokenizer's ids, random
inputs, and the verdict of a deterministic exercise (errors named by their message)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, GRAD_PREFIX, Mistake, Tolerance, Verdict, compare, error_verdict
from ...harness import Case

LESSON = "10_bert_complete"
PAD_ID, CLS_ID, SEP_ID = 0, 2, 3
IGNORE_INDEX = -100
#: Ids 0..14 are special in the course tokenizer; words start here.
FIRST_WORD = 15


def randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(shape, generator=gen, dtype=torch.float64) * scale  # shape () gives a 0-d tensor


def pick(gen: torch.Generator, low: int, high: int) -> int:
    """An int in [low, high]."""
    return int(torch.randint(low, high + 1, (1,), generator=gen))


def words(gen: torch.Generator, n: int, vocab: int = 60) -> torch.Tensor:
    """``n`` ordinary word ids, ``(n,)`` long."""
    return torch.randint(FIRST_WORD, vocab, (n,), generator=gen)


def judge_values(name: str, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
                 mistakes: list[Mistake], case: Case, *, hidden: bool, tol: Tolerance,
                 properties: Any = None, hints: Mapping[str, str] | None = None) -> Verdict:
    """The layered comparison, with a candidate's error named when a catalogued mistake
    raised the same message on the case."""
    where = "a hidden case" if hidden else f"case '{case.name}'"
    context = f"{name} on {where} ({case.describe})"
    if ERROR_KEY in got:
        return error_verdict(str(got[ERROR_KEY]), context, mistakes)
    # A parameter without a gradient (one the forward never uses) is told by the values first:
    # a skipped layer is better said as such than "the graph is cut".
    if any(k.startswith(GRAD_PREFIX) and got.get(k) is None for k in expected):
        values = {k: v for k, v in expected.items() if not k.startswith(GRAD_PREFIX)}
        verdict = compare(got, values, context=context, mistakes=mistakes, tol=tol)
        if not verdict.passed:
            return verdict
    return compare(got, expected, context=context, mistakes=mistakes, tol=tol, properties=properties,
                   hints=hints)
