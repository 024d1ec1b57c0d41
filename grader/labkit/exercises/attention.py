"""Harnesses for lesson 02, attention (book ch. 1; Vaswani et al. 2017, sec. 3.2).

Inputs are chosen so each catalogued mistake shows: T != S, several heads,
padding in the middle of a batch, random masks (not only causal) and a fully
masked query row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ..compare import Problem, Tolerance
from ..harness import Case, Harness
from . import register


def _randn(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


@register
class ScaledDotProductAttention(Harness):
    lesson = "02_attention"
    name = "scaled_dot_product_attention"
    title = "scaled dot-product attention with a boolean mask"
    grad_inputs = ("q", "k", "v")
    tolerance = Tolerance(atol=1e-5, rtol=1e-4)
    hints = {
        "nan_on_fully_masked_row": "a query whose mask row is all False must get zero weights and "
        "a zero output; softmax over a row of -inf gives NaN, so zero those rows afterwards "
        "(e.g. torch.where on mask.any(-1)).",
    }

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, h, t, s, d = (3, 2, 4, 6, 8) if hidden else (2, 2, 3, 5, 4)
        out = []
        for name, mask in self._masks(gen, b, h, t, s):
            q, k, v = _randn(gen, b, h, t, d), _randn(gen, b, h, s, d), _randn(gen, b, h, s, d)
            inputs = {"q": q, "k": k, "v": v}
            if mask is not None:
                inputs["mask"] = mask
            shape = f"q {tuple(q.shape)}, k/v {tuple(k.shape)}"
            mdesc = "no mask" if mask is None else f"mask {tuple(mask.shape)}"
            up = {"out": _randn(gen, b, h, t, d), "weights": _randn(gen, b, h, t, s)}
            out.append(Case(name, f"{name}: {shape}, {mdesc}", inputs, {}, up))
        return out

    @staticmethod
    def _masks(gen: torch.Generator, b: int, h: int, t: int, s: int):
        yield "no mask", None
        lengths = torch.randint(2, s, (b,), generator=gen)
        lengths[0] = s  # one full row, one padded in the middle of the batch
        pad = torch.arange(s)[None, :] < lengths[:, None]  # (B, S)
        yield "padding mask", pad[:, None, None, :]  # (B, 1, 1, S)
        causal = torch.ones(t, s, dtype=torch.bool).tril(diagonal=s - t)  # (T, S)
        yield "causal mask", causal
        rand = torch.rand(b, h, t, s, generator=gen) < 0.6
        rand[..., 0] = True
        rand[0, 1, 1, :] = False  # a fully masked query row
        yield "random mask with a fully masked row", rand

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        result = candidate(inputs["q"], inputs["k"], inputs["v"], mask=inputs.get("mask"))
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(f"expected a tuple (out, weights), got {type(result).__name__}")
        return {"out": result[0], "weights": result[1]}

    def properties(self, got: Mapping[str, Any], case: Case) -> list[Problem]:
        w = got["weights"]
        if torch.isnan(w).any() or torch.isnan(got["out"]).any():
            return [Problem("the output holds NaN", "nan_on_fully_masked_row")]
        return []

