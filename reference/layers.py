"""Transformer encoder and decoder layers and stacks (lessons 03 and 04).

Book: *Foundations of LLMs* ch. 1, the Transformer block: a self-attention
sub-layer and a position-wise feed-forward sub-layer, each wrapped in a
residual connection and layer normalisation, either post-norm
x = LN(x + F(x)) (Vaswani et al. 2017, sec. 3.1) or pre-norm x = x + F(LN(x));
the decoder adds masked self-attention and cross-attention to the encoder
output. Peers, with identical dropout placement so that copied weights give
identical results: ``torch.nn.TransformerEncoderLayer`` /
``TransformerDecoderLayer`` / ``TransformerEncoder`` / ``TransformerDecoder``
(``batch_first=True``); Hugging Face ``BertLayer``, ``BartEncoderLayer``,
``BartDecoderLayer`` (post-norm).

Masks are bool, True = may attend (``reference.masks``). To inspect attention
weights (e.g. a cross-attention map), register a forward hook on
``layer.self_attn`` or ``layer.cross_attn``: they return ``(out, weights)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch.nn.functional as F
from torch import Tensor, nn

from reference._checks import (
    check_choice,
    check_float_tensor,
    check_positive_int,
    check_probability,
)
from reference.attention import MultiHeadAttention

Activation = Literal["relu", "gelu"]
ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"relu": F.relu, "gelu": F.gelu}


def _check_sizes(d_model: int, num_heads: int, d_ff: int, dropout: float, activation: str) -> None:
    for name, value in (("d_model", d_model), ("num_heads", num_heads), ("d_ff", d_ff)):
        check_positive_int(value, name)
    if d_model % num_heads != 0:
        raise ValueError(f"expected d_model divisible by num_heads, got d_model={d_model}, "
                         f"num_heads={num_heads}")
    check_probability(dropout, "dropout")
    check_choice(activation, "activation", tuple(ACTIVATIONS))


def _check_hidden(x: Tensor, name: str, d_model: int) -> None:
    check_float_tensor(x, name, ndim=3, layout="(B, T, E)")
    if x.size(-1) != d_model:
        raise ValueError(f"expected {name} with last axis d_model={d_model}, got shape {tuple(x.shape)}")


class FeedForward(nn.Module):
    """Position-wise feed-forward: FFN(x) = linear2(dropout(act(linear1(x)))).

    ``linear1``: d_model -> d_ff, ``linear2``: d_ff -> d_model. The dropout here
    is the inner one of ``nn.TransformerEncoderLayer`` (``self.dropout``); the
    dropout on the sub-layer output belongs to the residual in the layer.
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0,
                 activation: Activation = "relu") -> None:
        super().__init__()
        _check_sizes(d_model, 1, d_ff, dropout, activation)
        self.activation = activation
        self.linear1 = nn.Linear(d_model, d_ff)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, T, E) -> (B, T, E)``, the same small network at every position."""
        return self.linear2(self.dropout(ACTIVATIONS[self.activation](self.linear1(x))))


class EncoderLayer(nn.Module):
    """Self-attention + feed-forward, each with a residual and LayerNorm.

    Post-norm (``norm_first=False``): x = norm1(x + SA(x)); x = norm2(x + FF(x)).
    Pre-norm (``norm_first=True``):   x = x + SA(norm1(x)); x = x + FF(norm2(x)).
    Sub-layer outputs pass ``dropout1`` / ``dropout2`` before the residual sum.
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.1,
                 activation: Activation = "relu", norm_first: bool = False,
                 layer_norm_eps: float = 1e-5) -> None:
        super().__init__()
        _check_sizes(d_model, num_heads, d_ff, dropout, activation)
        self.d_model, self.norm_first = d_model, norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = FeedForward(d_model, d_ff, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """``x (B, T, E)``, ``mask`` broadcastable to ``(B, H, T, T)`` -> ``(B, T, E)``."""
        _check_hidden(x, "x", self.d_model)
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), mask)
            return x + self._feed_forward(self.norm2(x))
        x = self.norm1(x + self._self_attention(x, mask))
        return self.norm2(x + self._feed_forward(x))

    def _self_attention(self, x: Tensor, mask: Tensor | None) -> Tensor:
        return self.dropout1(self.self_attn(x, x, x, mask)[0])

    def _feed_forward(self, x: Tensor) -> Tensor:
        return self.dropout2(self.ff(x))


class DecoderLayer(nn.Module):
    """Masked self-attention, cross-attention to the encoder memory, feed-forward.

    Each sub-layer has its residual and LayerNorm (``norm1``, ``norm2``,
    ``norm3``), post- or pre-norm as in :class:`EncoderLayer`. In
    cross-attention the queries come from the decoder and the keys and values
    from ``memory``, the encoder output.
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.1,
                 activation: Activation = "relu", norm_first: bool = False,
                 layer_norm_eps: float = 1e-5) -> None:
        super().__init__()
        _check_sizes(d_model, num_heads, d_ff, dropout, activation)
        self.d_model, self.norm_first = d_model, norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = FeedForward(d_model, d_ff, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def forward(self, x: Tensor, memory: Tensor, self_mask: Tensor | None = None,
                memory_mask: Tensor | None = None) -> Tensor:
        """``x (B, T, E)``, ``memory (B, S, E)`` -> ``(B, T, E)``.

        ``self_mask`` broadcasts to ``(B, H, T, T)`` (causal, usually with target
        padding); ``memory_mask`` to ``(B, H, T, S)`` (source padding).
        """
        _check_hidden(x, "x", self.d_model)
        _check_hidden(memory, "memory", self.d_model)
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), self_mask)
            x = x + self._cross_attention(self.norm2(x), memory, memory_mask)
            return x + self._feed_forward(self.norm3(x))
        x = self.norm1(x + self._self_attention(x, self_mask))
        x = self.norm2(x + self._cross_attention(x, memory, memory_mask))
        return self.norm3(x + self._feed_forward(x))

    def _self_attention(self, x: Tensor, mask: Tensor | None) -> Tensor:
        return self.dropout1(self.self_attn(x, x, x, mask)[0])

    def _cross_attention(self, x: Tensor, memory: Tensor, mask: Tensor | None) -> Tensor:
        return self.dropout2(self.cross_attn(x, memory, memory, mask)[0])

    def _feed_forward(self, x: Tensor) -> Tensor:
        return self.dropout3(self.ff(x))


class Encoder(nn.Module):
    """A stack of ``num_layers`` :class:`EncoderLayer` (``layers``), each with its own weights.

    ``norm`` is a final LayerNorm when ``norm_first`` (pre-norm leaves the
    residual stream un-normalised, so the output needs one), else ``None``.
    """

    def __init__(self, num_layers: int, d_model: int, num_heads: int, d_ff: int,
                 dropout: float = 0.1, activation: Activation = "relu", norm_first: bool = False,
                 layer_norm_eps: float = 1e-5) -> None:
        super().__init__()
        check_positive_int(num_layers, "num_layers")
        self.layers = nn.ModuleList(
            EncoderLayer(d_model, num_heads, d_ff, dropout, activation, norm_first, layer_norm_eps)
            for _ in range(num_layers))
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps) if norm_first else None

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """``(B, T, E) -> (B, T, E)``; the same ``mask`` is used by every layer."""
        for layer in self.layers:
            x = layer(x, mask)
        return x if self.norm is None else self.norm(x)


class Decoder(nn.Module):
    """A stack of ``num_layers`` :class:`DecoderLayer` (``layers``); final ``norm`` when pre-norm.

    Every layer cross-attends to the same encoder ``memory``.
    """

    def __init__(self, num_layers: int, d_model: int, num_heads: int, d_ff: int,
                 dropout: float = 0.1, activation: Activation = "relu", norm_first: bool = False,
                 layer_norm_eps: float = 1e-5) -> None:
        super().__init__()
        check_positive_int(num_layers, "num_layers")
        self.layers = nn.ModuleList(
            DecoderLayer(d_model, num_heads, d_ff, dropout, activation, norm_first, layer_norm_eps)
            for _ in range(num_layers))
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps) if norm_first else None

    def forward(self, x: Tensor, memory: Tensor, self_mask: Tensor | None = None,
                memory_mask: Tensor | None = None) -> Tensor:
        """``x (B, T, E)``, ``memory (B, S, E)`` -> ``(B, T, E)``."""
        for layer in self.layers:
            x = layer(x, memory, self_mask, memory_mask)
        return x if self.norm is None else self.norm(x)
