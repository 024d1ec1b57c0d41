"""The Transformer decoder layer and stack (lesson 04).

Book: *Foundations of LLMs* ch. 1/2: the decoder block adds masked (causal)
self-attention and cross-attention, whose queries come from the decoder and
whose keys and values come from the encoder output (the memory), before the
feed-forward sub-layer; each sub-layer has a residual connection and layer
normalisation (post-norm or pre-norm). Peers, with identical dropout
placement: ``torch.nn.TransformerDecoderLayer`` / ``TransformerDecoder``
(``batch_first=True``); Hugging Face ``BartDecoderLayer`` (post-norm).

To inspect a cross-attention map, register a forward hook on
``layer.cross_attn``: it returns ``(out, weights)``.
"""

from __future__ import annotations

from torch import Tensor, nn

from .._checks import check_positive_int
from ..attention import MultiHeadAttention
from .feedforward import Activation, FeedForward, _check_hidden, _check_sizes
from .sublayer import sublayer_connection


class DecoderLayer(nn.Module):
    """Masked self-attention, cross-attention to the encoder memory, feed-forward.

    Each sub-layer has its residual and LayerNorm (``norm1``, ``norm2``,
    ``norm3``), post- or pre-norm as in :class:`EncoderLayer`: three
    :func:`~reference.layers.sublayer.sublayer_connection`. In
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
        x = sublayer_connection(x, lambda h: self._self_attention(h, self_mask), self.norm1,
                                self.norm_first)  # (B, T, E)
        x = sublayer_connection(x, lambda h: self._cross_attention(h, memory, memory_mask),
                                self.norm2, self.norm_first)  # (B, T, E)
        return sublayer_connection(x, self._feed_forward, self.norm3, self.norm_first)  # (B, T, E)

    def _self_attention(self, x: Tensor, mask: Tensor | None) -> Tensor:
        return self.dropout1(self.self_attn(x, x, x, mask)[0])

    def _cross_attention(self, x: Tensor, memory: Tensor, mask: Tensor | None) -> Tensor:
        return self.dropout2(self.cross_attn(x, memory, memory, mask)[0])

    def _feed_forward(self, x: Tensor) -> Tensor:
        return self.dropout3(self.ff(x))


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
