"""The Transformer encoder layer and stack (lesson 03).

Book: *Foundations of LLMs* ch. 1: a self-attention sub-layer and a
feed-forward sub-layer, each wrapped in a residual connection and layer
normalisation, post-norm x = LN(x + F(x)) (Vaswani et al. 2017, sec. 3.1) or
pre-norm x = x + F(LN(x)). Peers, with identical dropout placement so that
copied weights give identical results: ``torch.nn.TransformerEncoderLayer`` /
``TransformerEncoder`` (``batch_first=True``); Hugging Face ``BertLayer``,
``BartEncoderLayer`` (post-norm).

Masks are bool, True = may attend (``reference.masks``). To inspect attention
weights, register a forward hook on ``layer.self_attn``: it returns
``(out, weights)``.
"""

from __future__ import annotations

from torch import Tensor, nn

from .._checks import check_positive_int
from ..attention import MultiHeadAttention
from .feedforward import Activation, FeedForward, _check_hidden, _check_sizes
from .sublayer import sublayer_connection


class EncoderLayer(nn.Module):
    """Self-attention + feed-forward, each with a residual and LayerNorm.

    Post-norm (``norm_first=False``): x = norm1(x + SA(x)); x = norm2(x + FF(x)).
    Pre-norm (``norm_first=True``):   x = x + SA(norm1(x)); x = x + FF(norm2(x)).
    Sub-layer outputs pass ``dropout1`` / ``dropout2`` before the residual sum. Each
    sub-layer is one :func:`~reference.layers.sublayer.sublayer_connection`.
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
        x = sublayer_connection(x, lambda h: self._self_attention(h, mask), self.norm1,
                                self.norm_first)  # (B, T, E)
        return sublayer_connection(x, self._feed_forward, self.norm2, self.norm_first)  # (B, T, E)

    def _self_attention(self, x: Tensor, mask: Tensor | None) -> Tensor:
        return self.dropout1(self.self_attn(x, x, x, mask)[0])

    def _feed_forward(self, x: Tensor) -> Tensor:
        return self.dropout2(self.ff(x))


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
