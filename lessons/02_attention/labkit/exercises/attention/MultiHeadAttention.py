"""Lesson 02, exercise ``MultiHeadAttention``: multi-head attention with q_proj, k_proj, v_proj
and out_proj, self- and cross-attention (Vaswani et al. 2017, sec. 3.2.2; peer:
``torch.nn.MultiheadAttention`` with ``average_attn_weights=False``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, ModuleHarness
from .. import register
from ._common import LESSON, NamesFailures, lengths_of, randn


@register
class MultiHeadAttentionHarness(NamesFailures, ModuleHarness):
    """``MultiHeadAttention(d_model, num_heads, dropout=0.0, bias=True)``;
    ``forward(query (B, T, E), key (B, S, E), value (B, S, E), mask=None)
    -> (out (B, T, E), weights (B, H, T, S))``."""

    lesson = LESSON
    name = "MultiHeadAttention"
    title = "multi-head attention with q_proj, k_proj, v_proj and out_proj"
    parameters_rule = ("the module's parameters must be exactly q_proj, k_proj, v_proj and "
                       "out_proj, each nn.Linear(d_model, d_model, bias=bias)")
    # Self-attention cases have one input x (passed as query, key and value); cross-attention
    # cases have a query and a memory (passed as key and value), or three inputs. The inputs
    # present become gradient leaves in forward (see extra_grad_leaves).
    grad_inputs = ()
    # Measured over 200 seeds: max abs error 1.2e-06 (outputs), 6.7e-06 (parameter gradients,
    # which sum over the batch and reach |g| ~ 10; the key bias's gradient is exactly 0 in exact
    # arithmetic and ~1e-6 in float32); the worst element uses 9.6% of this tolerance.
    tolerance = Tolerance(atol=4e-5, rtol=2e-4)
    _INPUTS = ("x", "query", "key", "value", "memory")

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # (B, T, S, E, H): T, S, H and Dh = E / H all differ; B = H so a mask paired with the
        # wrong batch element when heads are folded into the batch shows.
        b, t, s, e, h = (3, 6, 4, 15, 3) if hidden else (3, 4, 6, 12, 3)
        out = []

        def add(name: str, describe: str, inputs: dict[str, torch.Tensor], heads: int, embed: int,
                bias: bool, tq: int, sk: int) -> None:
            inputs.update(self._params(gen, embed, bias))
            up = {"out": randn(gen, b, tq, embed), "weights": randn(gen, b, heads, tq, sk)}
            init = {"d_model": embed, "num_heads": heads} | ({} if bias else {"bias": False})
            out.append(Case(name, describe, inputs, {"init": init}, up))

        pad = torch.arange(t)[None, :] < lengths_of(gen, b, t)[:, None]  # (B, T)
        add("self-attention, padding mask",
            f"MultiHeadAttention(d_model={e}, num_heads={h}); x {(b, t, e)} as query, key and "
            f"value; mask {(b, 1, 1, t)}",
            {"x": randn(gen, b, t, e), "mask": pad[:, None, None, :]}, h, e, True, t, t)
        # Cross-attention without a mask first: code that takes keys from the query then
        # fails on the weights' shape (T, T) instead of raising on a (B, 1, 1, S) mask.
        add("cross-attention, T != S",
            f"MultiHeadAttention(d_model={e}, num_heads={h}); query {(b, t, e)}, key and value "
            f"{(b, s, e)} (two different tensors); no mask",
            {"query": randn(gen, b, t, e), "key": randn(gen, b, s, e), "value": randn(gen, b, s, e)},
            h, e, True, t, s)
        pad = torch.arange(s)[None, :] < lengths_of(gen, b, s)[:, None]  # (B, S)
        add("cross-attention with a padded memory",
            f"MultiHeadAttention(d_model={e}, num_heads={h}); query {(b, t, e)}, key and value "
            f"{(b, s, e)} (one tensor, the encoder's output); mask {(b, 1, 1, s)}",
            {"query": randn(gen, b, t, e), "memory": randn(gen, b, s, e),
             "mask": pad[:, None, None, :]}, h, e, True, t, s)
        causal = torch.ones(t, t, dtype=torch.bool).tril()  # (T, T)
        rand = torch.rand(b, h, t, t, generator=gen) < 0.7  # (B, H, T, T)
        rand[..., 0] = True
        add("self-attention, causal and per-head mask",
            f"MultiHeadAttention(d_model={e}, num_heads={h}); x {(b, t, e)}; a (T, T) causal mask "
            f"AND a random (B, H, T, T) mask: mask {(b, h, t, t)}",
            {"x": randn(gen, b, t, e), "mask": causal & rand}, h, e, True, t, t)
        e2, h2 = (10, 2) if hidden else (8, 2)
        add("bias=False, no mask",
            f"MultiHeadAttention(d_model={e2}, num_heads={h2}, bias=False); x {(b, t, e2)}; no mask",
            {"x": randn(gen, b, t, e2)}, h2, e2, False, t, t)
        return out

    @staticmethod
    def _params(gen: torch.Generator, e: int, bias: bool) -> dict[str, torch.Tensor]:
        params = {}
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            params[f"param:{proj}.weight"] = randn(gen, e, e, scale=e ** -0.5)
            if bias:
                params[f"param:{proj}.bias"] = randn(gen, e, scale=0.1)
        return params

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        dtype = next(v.dtype for k, v in inputs.items() if k in self._INPUTS)
        self._leaves = {k: v.requires_grad_(True) for k, v in inputs.items() if k in self._INPUTS}
        module = self.build(candidate, case, inputs, dtype)
        if "x" in inputs:  # self-attention
            query = key = value = inputs["x"]
        elif "memory" in inputs:  # cross-attention, keys and values from the encoder's output
            query, key, value = inputs["query"], inputs["memory"], inputs["memory"]
        else:
            query, key, value = inputs["query"], inputs["key"], inputs["value"]
        result = module(query, key, value, mask=inputs.get("mask"))
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(f"expected forward to return a tuple (out, weights), got "
                            f"{type(result).__name__}")
        return {"out": result[0], "weights": result[1]}

    def extra_grad_leaves(self, outputs: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        return {**getattr(self, "_leaves", {}), **super().extra_grad_leaves(outputs)}

