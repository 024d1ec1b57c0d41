"""``Encoder``: a stack of encoder layers, each with its own weights, and a final
LayerNorm when pre-norm."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case
from .. import register
from ._common import LESSON, NamedParamsHarness, layer_params, norm_params, padding, randn, upstream


@register
class EncoderHarness(NamedParamsHarness):
    """``Encoder(num_layers, d_model, num_heads, d_ff, dropout, activation, norm_first,
    layer_norm_eps)`` with ``layers`` (nn.ModuleList) and ``norm`` (pre-norm only)."""

    lesson = LESSON
    name = "Encoder"
    title = "a stack of encoder layers, with a final LayerNorm when pre-norm"
    grad_inputs = ("x",)
    # Measured (100 seeds): max abs error 3.4e-6 (outputs), 1.9e-5 (gradients: a 3-layer
    # post-norm stack amplifies them to ~6); the worst element uses 1/10 of the tolerance.
    tolerance = Tolerance(atol=1e-4, rtol=1e-4)
    structure = ("expected exactly layers = nn.ModuleList of num_layers EncoderLayer, each with "
                 "its own weights, and norm = nn.LayerNorm(d_model, eps=layer_norm_eps) only "
                 "when norm_first (None otherwise)")
    # Layers kept in a plain Python list are not registered: only their parameters are missing.
    error_patterns = ((r"expected ones \(missing layers\.0\.[^;]*\); expected exactly",
                       "layers_in_python_list"),)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        settings = [  # num_layers, (B, T, E, H, F), norm_first, activation, eps, x scale
            (3, (3, 6, 6, 3, 10) if hidden else (3, 5, 8, 2, 12), False, "relu", 1e-5, 1.0),
            (2, (3, 5, 8, 2, 12) if hidden else (2, 4, 6, 3, 8), True, "gelu", 1e-5, 1.0),
            # Appended (the cases above keep their inputs): a layer_norm_eps other than the
            # default, on small inputs (variance 0.01) so that eps changes every LayerNorm.
            (2, (2, 5, 6, 2, 10) if hidden else (2, 4, 8, 2, 12), True, "relu", 1e-3, 0.1),
        ]
        out = []
        for n, (b, t, e, h, f), norm_first, act, eps, scale in settings:
            kind = "pre-norm" if norm_first else "post-norm"
            inputs = {"x": randn(gen, b, t, e, scale=scale),
                      "mask": padding(gen, b, t)[:, None, None, :]}
            for i in range(n):
                inputs.update(layer_params(gen, f"layers.{i}.", e, f))
            if norm_first:
                inputs.update(norm_params(gen, "norm", e))
            init = {"num_layers": n, "d_model": e, "num_heads": h, "d_ff": f, "dropout": 0.1,
                    "activation": act, "norm_first": norm_first, "layer_norm_eps": eps}
            args = ", ".join(f"{k}={v!r}" for k, v in init.items())
            name = f"{kind}, {n} layers" + (f", layer_norm_eps={eps:g}" if eps != 1e-5 else "")
            out.append(Case(name, f"Encoder({args}); x {(b, t, e)}; mask "
                            f"{(b, 1, 1, t)} (padding)", inputs, {"init": init},
                            {"out": upstream(gen, b, t, e)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = self.build(candidate, case, inputs, inputs["x"].dtype)
        return {"out": module(inputs["x"], mask=inputs["mask"])}
