"""Lesson 09's ``top_k_filter`` harness: keep each row's k largest logits, and every logit
tied with the k-th; the rest become ``-inf``.

Logits are recorded as two outputs, ``kept`` (bool) and ``logits`` (the kept values, 0
where removed), so that ``-inf`` is compared exactly. The cases hold ties at the k-th
value (logits on a grid of halves), k = 0 (keep all), k = V, and a 3-D input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Problem, Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, _finite_fill, _kept_and_values, _pick

FINITE_FILL_HINT = ("give the removed tokens float('-inf'), not a large negative number: "
                    "their probability must be exactly 0 after the softmax.")


def _grid_logits(gen: torch.Generator, *shape: int) -> torch.Tensor:
    """Logits on a grid of halves in [-3, 3], so that rows have ties."""
    return torch.randint(-6, 7, shape, generator=gen).double() / 2


def _tied_at_k(gen: torch.Generator, v: int, k: int) -> torch.Tensor:
    """A row whose k-th and (k+1)-th largest logits are equal, all others distinct."""
    values = torch.randperm(v, generator=gen).double() / 2 - v / 4  # distinct
    order = values.argsort(descending=True)
    values[order[k]] = values[order[k - 1]]
    return values


@register
class TopKFilterHarness(Harness):
    lesson = LESSON
    name = "top_k_filter"
    title = "keep the k largest logits of each row (ties with the k-th too); the rest -> -inf"
    # The kept values are the inputs themselves (no arithmetic): exact in any dtype.
    tolerance = Tolerance(atol=1e-6, rtol=1e-6)
    hints = {"finite_fill": FINITE_FILL_HINT}

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, v = (_pick(gen, 3, 5), _pick(gen, 7, 11)) if hidden else (3, 8)
        k = _pick(gen, 2, v - 3) if hidden else 3
        tied = torch.stack([_tied_at_k(gen, v, k) for _ in range(b)])
        t = _pick(gen, 2, 4) if hidden else 2
        plans = [
            ("ties at the k-th value", tied, k, f"logits {(b, v)}, k={k}, in every row the k-th "
             "and (k+1)-th largest logits are equal"),
            ("k = 1", _grid_logits(gen, b, v), 1, f"logits {(b, v)} with some ties, k=1"),
            ("k = 0 keeps all", _grid_logits(gen, b, v), 0, f"logits {(b, v)}, k=0"),
            ("k = V keeps all", _grid_logits(gen, b, v), v, f"logits {(b, v)}, k=V={v}"),
            ("3-D logits", _grid_logits(gen, b, t, v), k, f"logits {(b, t, v)} with some ties, "
             f"k={k}, filtered along the last axis"),
        ]
        return [Case(name, describe, {"logits": logits}, {"k": kk})
                for name, logits, kk, describe in plans]

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        logits = inputs["logits"]
        return _kept_and_values(candidate(logits, case.args["k"]), logits.shape)

    def properties(self, got: Mapping[str, Any], case: Case) -> list[Problem]:
        if _finite_fill(dict(got)):
            return [Problem("removed tokens got a large finite score instead of -inf",
                            "finite_fill")]
        return []
