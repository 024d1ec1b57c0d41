"""Lesson 01, exercise ``context_vector``: c = m(h_1, ..., h_T), the state of the last real
token or the mean over real tokens (the encoder-decoder
notes; Sutskever et al. 2014 use the last state)."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, left_padded, lengths_of, randn, right_padded


@register
class ContextVectorHarness(Harness):
    """``context_vector(hidden_states (B, T, H), mode, mask (B, T) or None) -> (B, H)``."""

    lesson = LESSON
    name = "context_vector"
    title = "c = m(h_1, ..., h_T): the last real state, or the mean over real states"
    grad_inputs = ("hidden_states",)
    # Measured, float32 bank vs float64 reference over 200 seeds: max |error| / (1 + |expected|)
    # 9.9e-08 (max abs error 1.7e-07: the float32 rounding of the inputs, plus one for a
    # mean). About 10x margin.
    tolerance = Tolerance(atol=1e-6, rtol=1e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # (B, T, H) with T != H, so a mean over the wrong axis has the wrong shape. The
        # states at padded positions are random, not copies of the last real state.
        b, t, h = (5, 7, 4) if hidden else (4, 6, 3)
        out = []

        def add(name: str, mode: str, mask: torch.Tensor | None, describe: str) -> None:
            states = randn(gen, b, t, h)
            inputs = {"hidden_states": states} | ({} if mask is None else {"mask": mask})
            mdesc = "no mask" if mask is None else f"mask {(b, t)} {describe}"
            out.append(Case(name, f"mode={mode!r}, hidden_states {(b, t, h)}, {mdesc}", inputs,
                            {"mode": mode}, {"context": randn(gen, b, h)}))

        right = right_padded(lengths_of(gen, b, t), t)
        add("last, right padding", "last", right, "(right padding; the middle row is the shortest)")
        left = left_padded(lengths_of(gen, b, t), t)
        add("last, left padding", "last", left, "(left padding)")
        add("mean, right padding", "mean", right_padded(lengths_of(gen, b, t), t),
            "(right padding; the middle row is the shortest)")
        add("last, no mask", "last", None, "")
        add("mean, no mask", "mean", None, "")
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"context": candidate(inputs["hidden_states"], case.args["mode"], inputs.get("mask"))}
