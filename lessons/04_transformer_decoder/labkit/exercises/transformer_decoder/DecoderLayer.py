"""``DecoderLayer``: masked self-attention, cross-attention to the encoder memory and a
feed-forward network, each with its residual and LayerNorm (Vaswani et al. 2017, sec. 3.1)."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, ModuleHarness
from .. import register
from ._common import LESSON, Diagnoses, key_mask, lengths_of_rows, randn


def _layer_params(gen: torch.Generator, e: int, d_ff: int) -> dict[str, torch.Tensor]:
    """Random parameters in the shapes of the reference's state dict."""
    params: dict[str, torch.Tensor] = {}
    for attn in ("self_attn", "cross_attn"):
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            params[f"{attn}.{proj}.weight"] = randn(gen, e, e, scale=e ** -0.5)
            params[f"{attn}.{proj}.bias"] = randn(gen, e, scale=0.1)
    params["ff.linear1.weight"] = randn(gen, d_ff, e, scale=e ** -0.5)
    params["ff.linear1.bias"] = randn(gen, d_ff, scale=0.1)
    params["ff.linear2.weight"] = randn(gen, e, d_ff, scale=d_ff ** -0.5)
    params["ff.linear2.bias"] = randn(gen, e, scale=0.1)
    for norm in ("norm1", "norm2", "norm3"):
        params[f"{norm}.weight"] = 1.0 + randn(gen, e, scale=0.2)
        params[f"{norm}.bias"] = randn(gen, e, scale=0.2)
    return params


@register
class DecoderLayerHarness(Diagnoses, ModuleHarness):
    """``DecoderLayer(d_model, num_heads, d_ff, dropout, activation, norm_first,
    layer_norm_eps)`` with ``self_attn``, ``cross_attn``, ``ff``, ``norm1``..``norm3``;
    ``forward(x, memory, self_mask=None, memory_mask=None)``."""

    lesson = LESSON
    name = "DecoderLayer"
    title = "masked self-attention, cross-attention to the memory, feed-forward"
    parameters_rule = ("the layer's parameters must be exactly those of self_attn and "
                       "cross_attn (MultiHeadAttention), ff (FeedForward: linear1, linear2) "
                       "and norm1, norm2, norm3 (nn.LayerNorm)")
    grad_inputs = ("x", "memory")
    # Measured (python -m tests.grader.checks.catalogue.transformer_decoder 200): float32 bank
    # vs float64 reference, outputs and all gradients, max abs error 1.4e-05 (on parameter
    # gradients up to ~20 in size); with rtol=1e-4 the largest atol needed is 3.8e-06. About
    # 10x margin:
    tolerance = Tolerance(atol=4e-5, rtol=1e-4)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # (B, T, S, E, H, d_ff): T != S, several heads, d_ff != E; small visible sizes keep the
        # fixtures (every mistake's outputs and gradients) small.
        b, t, s, e, h, d_ff = (4, 6, 4, 16, 4, 24) if hidden else (3, 5, 7, 8, 2, 12)
        out = []
        for name, norm_first, activation, masked, eps in (
                ("post-norm, masks", False, "relu", True, 1e-5),
                ("pre-norm, masks", True, "gelu", True, 1e-6),
                ("post-norm, no masks", False, "relu", False, 1e-5),
                # Appended (the cases above keep their inputs): an eps that shows when ignored.
                ("post-norm, masks, layer_norm_eps=0.1", False, "gelu", True, 0.1)):
            x, memory = randn(gen, b, t, e), randn(gen, b, s, e)
            inputs = {"x": x, "memory": memory}
            what = f"x {(b, t, e)}, memory {(b, s, e)}"
            if masked:
                tgt = key_mask(lengths_of_rows(gen, b, t), t)  # (B, T)
                causal = torch.ones(t, t, dtype=torch.bool).tril()  # (T, T)
                inputs["self_mask"] = tgt[:, None, None, :] & causal  # (B, 1, T, T)
                inputs["memory_mask"] = key_mask(lengths_of_rows(gen, b, s), s)[:, None, None, :]  # (B, 1, 1, S)
                what += (f", self_mask {(b, 1, t, t)} (causal and target padding), memory_mask "
                         f"{(b, 1, 1, s)} (source padding)")
            else:
                what += ", no masks (self_mask and memory_mask left to their default None)"
            init = {"d_model": e, "num_heads": h, "d_ff": d_ff, "dropout": 0.1,
                    "activation": activation, "norm_first": norm_first, "layer_norm_eps": eps}
            inputs.update({f"param:{k}": v for k, v in _layer_params(gen, e, d_ff).items()})
            shown = ", ".join(f"{k}={v!r}" for k, v in init.items())
            out.append(Case(name, f"DecoderLayer({shown}); {what}", inputs, {"init": init},
                            {"out": randn(gen, b, t, e)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = self.build(candidate, case, inputs, inputs["x"].dtype)
        return {"out": module(inputs["x"], inputs["memory"], inputs.get("self_mask"),
                              inputs.get("memory_mask"))}

