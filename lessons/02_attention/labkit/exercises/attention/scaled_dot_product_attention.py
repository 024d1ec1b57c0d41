"""Lesson 02, exercise ``scaled_dot_product_attention``: softmax(Q K^T / sqrt(d_k)) V with a
boolean mask (Vaswani et al. 2017, sec. 3.2.1; peer: ``F.scaled_dot_product_attention``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import torch

from ...compare import Problem, Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, NamesFailures, lengths_of, randn


def _fully_masked_rows(mask: torch.Tensor | None, shape: torch.Size) -> torch.Tensor:
    """(B, H, T) bool: query rows where ``mask`` allows no key."""
    if mask is None:
        return torch.zeros(shape[:-1], dtype=torch.bool)
    return ~mask.expand(shape).any(-1)


@register
class ScaledDotProductAttentionHarness(NamesFailures, Harness):
    """``scaled_dot_product_attention(q (B, H, T, Dh), k (B, H, S, Dh), v (B, H, S, Dh),
    mask=None) -> (out (B, H, T, Dh), weights (B, H, T, S))``."""

    lesson = LESSON
    name = "scaled_dot_product_attention"
    title = "scaled dot-product attention with a boolean mask"
    grad_inputs = ("q", "k", "v")
    # Measured over 200 seeds: max abs error 8.2e-07 (outputs), 1.6e-06 (gradients); the
    # worst element uses 7.7% of this tolerance (a 13x margin).
    tolerance = Tolerance(atol=1e-5, rtol=1e-4)
    hints = {
        "nan_on_fully_masked_row": "a query whose mask row is all False must get zero weights and "
        "a zero output; softmax over a row of -inf gives NaN, so zero those rows afterwards "
        "(e.g. torch.where on mask.any(-1, keepdim=True)).",
        "mask_polarity_flipped": "NaN appears on rows where the mask allows every key: in this "
        "course True means 'may attend', so fill the scores where the mask is False "
        "(masked_fill(~mask, ...)).",
        "nan_elsewhere": "NaN comes from a softmax over a row whose scores are all -inf (or from "
        "inf - inf): check which positions you fill, and that True in the mask means 'may attend'.",
    }

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, h, t, s, d = (3, 2, 4, 6, 8) if hidden else (2, 2, 3, 5, 4)
        out = []
        for name, mask in self._masks(gen, b, h, t, s):
            q, k, v = randn(gen, b, h, t, d), randn(gen, b, h, s, d), randn(gen, b, h, s, d)
            inputs = {"q": q, "k": k, "v": v}
            if mask is not None:
                inputs["mask"] = mask
            shape = f"q {tuple(q.shape)}, k/v {tuple(k.shape)}"
            mdesc = "no mask" if mask is None else f"mask {tuple(mask.shape)}"
            up = {"out": randn(gen, b, h, t, d), "weights": randn(gen, b, h, t, s)}
            out.append(Case(name, f"{name}: {shape}, {mdesc}", inputs, {}, up))
        return out

    @staticmethod
    def _masks(gen: torch.Generator, b: int, h: int, t: int, s: int
               ) -> Iterator[tuple[str, torch.Tensor | None]]:
        yield "no mask", None
        pad = torch.arange(s)[None, :] < lengths_of(gen, b, s)[:, None]  # (B, S)
        yield "padding mask", pad[:, None, None, :]  # (B, 1, 1, S)
        causal = torch.ones(t, s, dtype=torch.bool).tril(diagonal=s - t)  # (T, S)
        yield "causal mask", causal
        rand = torch.rand(b, h, t, s, generator=gen) < 0.6  # (B, H, T, S)
        rand[..., 0] = True
        rand[0, 1, 1, :] = False  # a fully masked query row
        yield "random mask with a fully masked row", rand

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        result = candidate(inputs["q"], inputs["k"], inputs["v"], mask=inputs.get("mask"))
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(f"expected a tuple (out, weights), got {type(result).__name__}")
        return {"out": result[0], "weights": result[1]}

    def properties(self, got: Mapping[str, Any], case: Case) -> list[Problem]:
        w, o = got["weights"], got["out"]
        nan_rows = torch.isnan(w).any(-1) | torch.isnan(o).any(-1)  # (B, H, T)
        if not nan_rows.any():
            return []
        mask = case.inputs.get("mask")
        if (nan_rows & ~_fully_masked_rows(mask, w.shape)).sum() == 0:
            return [Problem("the output holds NaN on a fully masked query row",
                            "nan_on_fully_masked_row")]
        if mask is not None and (nan_rows & ~_fully_masked_rows(~mask, w.shape)).sum() == 0:
            return [Problem("the output holds NaN on query rows whose mask is all True",
                            "mask_polarity_flipped")]
        return [Problem("the output holds NaN", "nan_elsewhere")]
