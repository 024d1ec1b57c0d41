"""Lesson 09's ``top_p_filter`` harness: nucleus filtering. A token is kept when the
probability of the tokens strictly more probable than it is below p; the rest become
``-inf`` (so the smallest set of most probable tokens whose mass reaches p survives, ties
at its edge included, and the most probable token always does).

Cases keep every running total of the sorted probabilities at least ``P_MARGIN`` away
from p, so float32 and float64 draw the same boundary; one case has a tie exactly at the
boundary, one a p below the largest probability, one p = 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Problem, Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, _far_from_p, _finite_fill, _kept_and_values, _pick, _randn
from .top_k_filter import FINITE_FILL_HINT


def _logits_for(gen: torch.Generator, shape: tuple[int, ...], p: float,
                scale: float = 1.5) -> torch.Tensor:
    """Random logits whose nucleus boundary is clearly on one side of p in every row."""
    while True:
        logits = _randn(gen, *shape, scale=scale)
        if _far_from_p(logits, p):
            return logits


def _tied_row(v: int) -> torch.Tensor:
    """Probabilities 0.4, then three tokens of 0.15 (tied), then the rest shared evenly:
    with p = 0.5 the nucleus edge falls among the three tied tokens."""
    rest = (1 - 0.4 - 3 * 0.15) / (v - 4)
    return torch.tensor([0.4, 0.15, 0.15, 0.15] + [rest] * (v - 4), dtype=torch.float64).log()


@register
class TopPFilterHarness(Harness):
    lesson = LESSON
    name = "top_p_filter"
    title = "keep the smallest set of most probable tokens whose probability reaches p"
    # Kept values are the inputs themselves; only the boundary involves arithmetic, and the
    # cases keep it 1e-3 away from p.
    tolerance = Tolerance(atol=1e-6, rtol=1e-6)
    hints = {"finite_fill": FINITE_FILL_HINT}

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, v = (_pick(gen, 3, 5), _pick(gen, 7, 11)) if hidden else (3, 8)
        p = round(float(torch.rand(1, generator=gen)) * 0.3 + 0.55, 3) if hidden else 0.7
        tied = _tied_row(v)[torch.randperm(v, generator=gen)]
        t = _pick(gen, 2, 3) if hidden else 2
        plans = [
            ("a nucleus of several tokens", _logits_for(gen, (b, v), p), p,
             f"logits {(b, v)}, p={p}"),
            ("a tie at the edge of the nucleus", torch.stack([tied, _logits_for(gen, (v,), 0.5)]),
             0.5, f"logits {(2, v)}, p=0.5; in row 0 the probabilities are 0.4, then three tied "
             "at 0.15, then small ones"),
            ("p below the largest probability", _logits_for(gen, (b, v), 0.05, 3.0), 0.05,
             f"logits {(b, v)}, p=0.05"),
            ("p = 1 keeps all", _randn(gen, b, v), 1.0, f"logits {(b, v)}, p=1.0"),
            ("3-D logits", _logits_for(gen, (b, t, v), p), p,
             f"logits {(b, t, v)}, p={p}, filtered along the last axis"),
        ]
        return [Case(name, describe, {"logits": logits}, {"p": pp})
                for name, logits, pp, describe in plans]

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        logits = inputs["logits"]
        return _kept_and_values(candidate(logits, case.args["p"]), logits.shape)

    def properties(self, got: Mapping[str, Any], case: Case) -> list[Problem]:
        if _finite_fill(dict(got)):
            return [Problem("removed tokens got a large finite score instead of -inf",
                            "finite_fill")]
        return []
