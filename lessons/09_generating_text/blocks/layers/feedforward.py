"""The position-wise feed-forward sub-layer and the checks every layer shares
(lesson 03).

Book: *Foundations of LLMs* ch. 1, the Transformer block's FFN(x) =
W2 act(W1 x + b1) + b2 (Vaswani et al. 2017, sec. 3.3). Peer: the
``linear1``/``linear2`` pair inside ``torch.nn.TransformerEncoderLayer``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch.nn.functional as F
from torch import Tensor, nn

from .._checks import check_choice, check_float_tensor, check_positive_int, check_probability

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
