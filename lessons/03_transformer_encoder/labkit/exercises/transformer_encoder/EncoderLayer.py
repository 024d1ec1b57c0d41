"""``EncoderLayer``: self-attention and feed-forward sub-layers, each with its residual
connection and LayerNorm (Vaswani et al. 2017, sec. 3.1), post-norm or pre-norm."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case
from .. import register
from ._common import LESSON, NamedParamsHarness, layer_params, padding, randn, upstream


@register
class EncoderLayerHarness(NamedParamsHarness):
    """``EncoderLayer``, built from d_model, num_heads, d_ff, dropout, activation, norm_first
    and layer_norm_eps, with ``self_attn``, ``ff``, ``norm1``, ``norm2``; forward(x, mask)."""

    lesson = LESSON
    name = "EncoderLayer"
    title = "self-attention and feed-forward sub-layers, each with residual and LayerNorm"
    grad_inputs = ("x",)
    # Measured (100 seeds): max abs error 1.4e-6 (outputs), 3.3e-6 (gradients); the worst
    # element uses 1/11 of the tolerance. layer_norm_eps_ignored differs by ~1e-2.
    tolerance = Tolerance(atol=2e-5, rtol=1e-4)
    structure = ("expected exactly self_attn = MultiHeadAttention(d_model, num_heads, dropout), "
                 "ff = FeedForward(d_model, d_ff, dropout, activation), norm1 and norm2 = "
                 "nn.LayerNorm(d_model, eps=layer_norm_eps)")
    error_patterns = ((r"^TypeError:.*\btuple\b", "attention_output_is_a_tuple"),)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        settings = [  # (B, T, E, H, F), norm_first, activation, eps, mask, x scale
            ((4, 6, 12, 3, 10) if hidden else (3, 5, 8, 2, 12), False, "relu", 1e-5, True, 1.0),
            ((3, 5, 8, 4, 16) if hidden else (2, 4, 12, 3, 10), True, "gelu", 1e-3, True, 0.5),
            ((2, 4, 6, 2, 9) if hidden else (2, 3, 6, 2, 8), False, "gelu", 1e-5, False, 1.0),
        ]
        out = []
        for (b, t, e, h, f), norm_first, act, eps, masked, scale in settings:
            kind = "pre-norm" if norm_first else "post-norm"
            inputs = {"x": randn(gen, b, t, e, scale=scale), **layer_params(gen, "", e, f)}
            if masked:
                inputs["mask"] = padding(gen, b, t)[:, None, None, :]  # (B, 1, 1, T)
            init = {"d_model": e, "num_heads": h, "d_ff": f, "dropout": 0.1, "activation": act,
                    "norm_first": norm_first, "layer_norm_eps": eps}
            name = f"{kind}, {act}" + (", padding mask" if masked else ", no mask") + \
                (f", layer_norm_eps={eps:g}" if eps != 1e-5 else "")
            args = ", ".join(f"{k}={v!r}" for k, v in init.items())
            mdesc = f"mask {(b, 1, 1, t)} (padding)" if masked else "mask=None"
            out.append(Case(name, f"EncoderLayer({args}); x {(b, t, e)}; {mdesc}", inputs,
                            {"init": init}, {"out": upstream(gen, b, t, e)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = self.build(candidate, case, inputs, inputs["x"].dtype)
        return {"out": module(inputs["x"], mask=inputs.get("mask"))}
