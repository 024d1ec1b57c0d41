"""Scaled dot-product and multi-head attention (lesson 02).

Book: *Foundations of LLMs* ch. 1, the Transformer's attention
Att(Q, K, V) = Softmax(Q K^T / sqrt(d_k) + Mask) V, and multi-head attention,
which runs h such attentions on learned projections and concatenates them;
Vaswani et al. 2017, sec. 3.2.1-3.2.2. Peers:
``torch.nn.functional.scaled_dot_product_attention`` (same bool-mask polarity)
and ``torch.nn.MultiheadAttention(batch_first=True)``; Hugging Face
``BertSelfAttention`` / ``BartAttention`` (eager implementation).

Masks are bool, True = may attend, broadcastable to the scores ``(B, H, T, S)``
(see ``reference.masks``). A query row whose keys are all masked gets zero
weights and a zero output instead of the NaN a plain ``-inf`` softmax gives.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import check_bool_mask, check_float_tensor, check_positive_int, check_probability


def _check_qkv(q: Tensor, k: Tensor, v: Tensor) -> None:
    """Ranks agree (3 or 4), batch/head axes agree, q·k share Dh, k and v share S."""
    check_float_tensor(q, "q", ndim=(3, 4), layout="(B, H, T, Dh) or (B, T, Dh)")
    rank = q.dim()
    layout = "(B, H, S, Dh)" if rank == 4 else "(B, S, Dh)"
    check_float_tensor(k, "k", ndim=rank, layout=layout)
    check_float_tensor(v, "v", ndim=rank, layout=layout)
    if not q.dtype == k.dtype == v.dtype:
        raise ValueError(f"expected q, k, v of one dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    if q.shape[:-2] != k.shape[:-2] or k.shape[:-2] != v.shape[:-2]:
        raise ValueError(f"expected q, k, v with the same leading (batch, head) axes, got shapes "
                         f"{tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    if q.size(-1) != k.size(-1):
        raise ValueError(f"expected q and k with the same last axis Dh, got {q.size(-1)} and {k.size(-1)}")
    if k.size(-2) != v.size(-2):
        raise ValueError(f"expected k and v with the same length S, got {k.size(-2)} and {v.size(-2)}")
    if q.size(-2) == 0 or k.size(-2) == 0:
        raise ValueError(f"expected non-empty sequences, got T={q.size(-2)} and S={k.size(-2)}")


def _dropout(weights: Tensor, p: float, generator: torch.Generator | None) -> Tensor:
    """Inverted dropout on the attention weights; a ``generator`` makes it reproducible."""
    if p == 0.0:
        return weights
    if generator is None:
        return F.dropout(weights, p=p, training=True)  # the same RNG stream as nn.Dropout
    keep = torch.empty_like(weights).bernoulli_(1.0 - p, generator=generator)
    return weights * keep / (1.0 - p)


def scaled_dot_product_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: Tensor | None = None,
    dropout_p: float = 0.0,
    *,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """softmax(q k^T / sqrt(Dh)) v with an optional bool mask (True = may attend).

    Shapes: q ``(B, H, T, Dh)``, k ``(B, H, S, Dh)``, v ``(B, H, S, Dv)``; mask
    broadcastable to ``(B, H, T, S)``. Returns ``(out (B, H, T, Dv), weights (B, H, T, S))``.
    3-D inputs ``(B, T, Dh)`` are one head: the outputs are then ``(B, T, Dv)``
    and ``(B, T, S)``, and the mask must broadcast to ``(B, T, S)``.

    ``dropout_p`` drops attention weights (always, when > 0: pass 0.0 in eval,
    as ``MultiHeadAttention`` does). The returned weights are after dropout, as
    the values were mixed with them. Fully masked query rows give zeros.
    """
    _check_qkv(q, k, v)
    check_probability(dropout_p, "dropout_p")
    if q.dim() == 3:
        if mask is not None and mask.dim() >= 3:
            check_bool_mask(mask, "mask", broadcast_to=(q.size(0), q.size(1), k.size(1)),
                            layout="(B, T, S)")
            mask = mask.unsqueeze(-3)  # (B, 1, T, S): one head
        out, weights = scaled_dot_product_attention(q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1),
                                                    mask, dropout_p, generator=generator)
        return out.squeeze(1), weights.squeeze(1)  # (B, T, Dv), (B, T, S)

    batch, heads, length, _ = q.shape
    target = (batch, heads, length, k.size(-2))
    if mask is not None:
        check_bool_mask(mask, "mask", broadcast_to=target, layout="(B, H, T, S)")

    # Scale q before the product: the same result as scaling the scores, on fewer numbers.
    scores = (q * (1.0 / math.sqrt(q.size(-1)))) @ k.transpose(-2, -1)  # (B, H, T, S)
    if mask is not None:
        # The most negative finite number instead of -inf: exp() underflows to exactly 0
        # for masked keys, yet a fully masked row stays finite (uniform) instead of NaN ...
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)  # (B, H, T, S)
    weights = torch.softmax(scores, dim=-1)  # (B, H, T, S)
    if mask is not None:
        # ... and is then zeroed, so such a row outputs zeros and passes back zero gradient.
        weights = weights.masked_fill(~mask, 0.0)  # (B, H, T, S)
    weights = _dropout(weights, dropout_p, generator)
    return weights @ v, weights  # (B, H, T, Dv), (B, H, T, S)


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """``(B, T, E) -> (B, H, T, Dh)`` with Dh = E / H: head h gets features h*Dh .. (h+1)*Dh-1."""
    check_float_tensor(x, "x", ndim=3, layout="(B, T, E)")
    check_positive_int(num_heads, "num_heads")
    batch, length, embed = x.shape
    if embed % num_heads != 0:
        raise ValueError(f"expected E divisible by num_heads={num_heads}, got E={embed}")
    x = x.reshape(batch, length, num_heads, embed // num_heads)  # (B, T, H, Dh)
    return x.transpose(1, 2)  # (B, H, T, Dh): heads before time, so each head is one matmul


def merge_heads(x: Tensor) -> Tensor:
    """``(B, H, T, Dh) -> (B, T, H*Dh)``, the inverse of :func:`split_heads` (concatenate heads)."""
    check_float_tensor(x, "x", ndim=4, layout="(B, H, T, Dh)")
    batch, heads, length, head_dim = x.shape
    x = x.transpose(1, 2)  # (B, T, H, Dh): time back before heads, then flatten the heads
    return x.reshape(batch, length, heads * head_dim)  # (B, T, E)


class MultiHeadAttention(nn.Module):
    """Multi-head attention: MultiHead(Q, K, V) = Concat(head_1..head_h) W^O.

    Sub-modules ``q_proj``, ``k_proj``, ``v_proj``, ``out_proj`` (``nn.Linear``,
    ``d_model -> d_model``). ``dropout`` drops attention weights in training
    mode only. Peer: ``nn.MultiheadAttention(batch_first=True)``, whose packed
    ``in_proj_weight`` is ``cat([q_proj.weight, k_proj.weight, v_proj.weight])``.
    """

    def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        check_positive_int(d_model, "d_model")
        check_positive_int(num_heads, "num_heads")
        if d_model % num_heads != 0:
            raise ValueError(f"expected d_model divisible by num_heads, got d_model={d_model}, "
                             f"num_heads={num_heads}")
        check_probability(dropout, "dropout")
        self.d_model, self.num_heads, self.dropout = d_model, num_heads, dropout
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """query ``(B, T, E)``, key/value ``(B, S, E)`` -> ``(out (B, T, E), weights (B, H, T, S))``.

        Self-attention passes the same tensor three times; cross-attention takes
        the query from the decoder and key/value from the encoder memory.
        """
        self._check_inputs(query, key, value)
        q = split_heads(self.q_proj(query), self.num_heads)  # (B, H, T, Dh)
        k = split_heads(self.k_proj(key), self.num_heads)  # (B, H, S, Dh)
        v = split_heads(self.v_proj(value), self.num_heads)  # (B, H, S, Dh)
        p = self.dropout if self.training else 0.0
        out, weights = scaled_dot_product_attention(q, k, v, mask, p)  # (B, H, T, Dh), (B, H, T, S)
        return self.out_proj(merge_heads(out)), weights  # (B, T, E), (B, H, T, S)

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor) -> None:
        for name, x in (("query", query), ("key", key), ("value", value)):
            check_float_tensor(x, name, ndim=3, layout="(B, T, E)")
            if x.size(-1) != self.d_model:
                raise ValueError(f"expected {name} with last axis d_model={self.d_model}, "
                                 f"got shape {tuple(x.shape)}")
        if key.shape != value.shape:
            raise ValueError(f"expected key and value of one shape (B, S, E), got "
                             f"{tuple(key.shape)} and {tuple(value.shape)}")
        if query.size(0) != key.size(0):
            raise ValueError(f"expected query and key with the same batch size, got "
                             f"{query.size(0)} and {key.size(0)}")
