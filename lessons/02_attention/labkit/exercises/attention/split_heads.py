"""Lesson 02, exercise ``split_heads``: (B, T, E) -> (B, H, T, Dh), each head a contiguous
slice of the features (Vaswani et al. 2017, sec. 3.2.2)."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, NamesFailures, randn


@register
class SplitHeadsHarness(NamesFailures, Harness):
    """``split_heads(x (B, T, E), num_heads) -> (B, H, T, E / H)``."""

    lesson = LESSON
    name = "split_heads"
    title = "(B, T, E) -> (B, H, T, Dh)"
    outputs_reveal_inputs = True
    grad_inputs = ("x",)
    # Pure data movement: float32 against float64 differs only by the float32 rounding of the
    # inputs. Measured over 200 seeds: max abs error 1.8e-07 (outputs), 1.6e-07 (gradients),
    # about a tenth of atol (the worst element uses 3.0% of atol + rtol * |expected|).
    tolerance = Tolerance(atol=2e-6, rtol=1e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # T, H and Dh all differ, so every wrong axis order gives a wrong shape or wrong values.
        sizes = [(3, 7, 2, 5), (2, 4, 3, 6)] if hidden else [(2, 5, 3, 4), (1, 2, 4, 3)]
        out = []
        for i, (b, t, h, d) in enumerate(sizes):
            x = randn(gen, b, t, h * d)
            out.append(Case(f"case {i + 1}", f"x {tuple(x.shape)}, num_heads={h}", {"x": x},
                            {"num_heads": h}, {"out": randn(gen, b, h, t, d)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"out": candidate(inputs["x"], case.args["num_heads"])}
