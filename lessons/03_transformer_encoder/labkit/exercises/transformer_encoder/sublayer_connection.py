"""``sublayer_connection(x, sublayer, norm, norm_first)``: the residual connection and
LayerNorm around one sub-layer, post-norm (Vaswani et al. 2017, sec. 3.1) or pre-norm."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, Diagnoses, randn


@register
class SublayerConnectionHarness(Diagnoses, Harness):
    """``sublayer_connection(x, sublayer, norm, norm_first)``: post-norm
    norm(x + sublayer(x)) or pre-norm x + sublayer(norm(x))."""

    lesson = LESSON
    name = "sublayer_connection"
    title = "residual connection and LayerNorm, post-norm and pre-norm"
    grad_inputs = ("x", "w1", "w2", "ln_weight", "ln_bias")
    # Measured (100 seeds): max abs error 6.9e-7 (outputs), 3.3e-6 (gradients of the
    # LayerNorm and sub-layer weights); the worst element uses 1/10 of the tolerance.
    tolerance = Tolerance(atol=2e-5, rtol=2e-5)
    EPS = 1e-5

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t, e, f = (3, 5, 10, 7) if hidden else (2, 4, 6, 5)
        out = []
        for norm_first in (False, True):
            # Mean and scale far from 0 and 1, so that what is normalised matters.
            inputs = {"x": 1.5 * randn(gen, b, t, e) + 0.7, "w1": randn(gen, e, f, scale=e ** -0.5),
                      "w2": randn(gen, f, e, scale=f ** -0.5), "ln_weight": 1 + randn(gen, e, scale=0.3),
                      "ln_bias": randn(gen, e, scale=0.3)}
            kind = "pre-norm" if norm_first else "post-norm"
            out.append(Case(f"{kind} (norm_first={norm_first})",
                            f"{kind}: x {(b, t, e)}, sublayer y -> tanh(y W1) W2, norm a LayerNorm "
                            f"over the last axis, norm_first={norm_first}", inputs,
                            {"norm_first": norm_first}, {"out": randn(gen, b, t, e)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        w1, w2, weight, bias = inputs["w1"], inputs["w2"], inputs["ln_weight"], inputs["ln_bias"]

        def sublayer(y: torch.Tensor) -> torch.Tensor:
            return torch.tanh(y @ w1) @ w2  # (B, T, F) then (B, T, E)

        def norm(y: torch.Tensor) -> torch.Tensor:
            return F.layer_norm(y, (y.shape[-1],), weight, bias, self.EPS)

        return {"out": candidate(inputs["x"], sublayer, norm, norm_first=case.args["norm_first"])}
