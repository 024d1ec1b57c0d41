"""Torch-only stand-ins the lesson 09 harnesses hand to candidates.

``ToyAttention`` has the attributes of the lesson's ``MultiHeadAttention`` that a cached
step reads (``d_model``, ``num_heads``, ``q_proj``, ``k_proj``, ``v_proj``, ``out_proj``)
and no forward: ``attend_with_cache`` works from the projections. ``toy_language_model``
turns two tables into a ``next_log_probs`` function for beam search: the scores of the
next token depend on the last token and on the position, so the best sequence is not
the greedy one.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

PROJECTIONS = ("q_proj", "k_proj", "v_proj", "out_proj")


class ToyAttention(nn.Module):
    """The projections of a multi-head attention (``d_model -> d_model`` each)."""

    def __init__(self, d_model: int, num_heads: int) -> None:
        super().__init__()
        self.d_model, self.num_heads, self.dropout = d_model, num_heads, 0.0
        for name in PROJECTIONS:
            setattr(self, name, nn.Linear(d_model, d_model))


def load_attention(inputs: dict[str, torch.Tensor], d_model: int, num_heads: int,
                   dtype: torch.dtype) -> ToyAttention:
    """A ``ToyAttention`` with the case's weights (``w:<proj>.weight`` / ``.bias``)."""
    attn = ToyAttention(d_model, num_heads).to(dtype)
    attn.load_state_dict({k[2:]: v.detach().to(dtype) for k, v in inputs.items()
                          if k.startswith("w:")}, strict=True)
    return attn.eval()


def attention_weights(gen: torch.Generator, d_model: int) -> dict[str, torch.Tensor]:
    """Random weights for ``ToyAttention`` as case inputs, float64."""
    out = {}
    for name in PROJECTIONS:
        out[f"w:{name}.weight"] = torch.randn(d_model, d_model, generator=gen,
                                              dtype=torch.float64) / d_model**0.5
        out[f"w:{name}.bias"] = torch.randn(d_model, generator=gen, dtype=torch.float64) * 0.1
    return out


def toy_language_model(after: torch.Tensor, at: torch.Tensor
                       ) -> Callable[[torch.Tensor], torch.Tensor]:
    """``next_log_probs(prefixes (N, L)) -> (N, V)``: log_softmax(after[last token] + at[L - 1]).

    ``after`` ``(V, V)`` scores the next token by the last one; ``at`` ``(max_len, V)``
    by the prefix length (e.g. ``</s>`` growing likelier later).
    """
    def next_log_probs(prefixes: torch.Tensor) -> torch.Tensor:
        if type(prefixes) is not torch.Tensor or prefixes.dim() != 2 or prefixes.dtype != torch.long:
            raise TypeError("next_log_probs expects a (N, L) long tensor of prefixes, got "
                            f"{getattr(prefixes, 'shape', type(prefixes).__name__)}")
        if prefixes.size(1) > at.size(0):
            raise ValueError(f"next_log_probs was asked about a prefix of {prefixes.size(1)} "
                             f"tokens, longer than any this case allows ({at.size(0)})")
        scores = after[prefixes[:, -1]] + at[prefixes.size(1) - 1]  # (N, V)
        return torch.log_softmax(scores, dim=-1)  # (N, V)

    return next_log_probs
