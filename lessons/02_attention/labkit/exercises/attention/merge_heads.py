"""Lesson 02, exercise ``merge_heads``: (B, H, T, Dh) -> (B, T, H * Dh), the heads
concatenated in order (Vaswani et al. 2017, sec. 3.2.2, Concat(head_1, ..., head_h))."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, NamesFailures, randn


@register
class MergeHeadsHarness(NamesFailures, Harness):
    """``merge_heads(x (B, H, T, Dh)) -> (B, T, H * Dh)``."""

    lesson = LESSON
    name = "merge_heads"
    title = "(B, H, T, Dh) -> (B, T, H * Dh)"
    outputs_reveal_inputs = True
    grad_inputs = ("x",)
    # Measured over 200 seeds: max abs error 2.2e-07 (outputs), 2.3e-07 (gradients); the worst
    # element uses 3.7% of this tolerance.
    tolerance = Tolerance(atol=2e-6, rtol=1e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        sizes = [(3, 2, 7, 5), (2, 3, 4, 6)] if hidden else [(2, 3, 5, 4), (1, 4, 2, 3)]
        out = []
        for i, (b, h, t, d) in enumerate(sizes):
            x = randn(gen, b, h, t, d)
            out.append(Case(f"case {i + 1}", f"x {tuple(x.shape)}", {"x": x}, {},
                            {"out": randn(gen, b, t, h * d)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"out": candidate(inputs["x"])}
