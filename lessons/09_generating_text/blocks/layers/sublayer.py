"""The sub-layer connection: a residual connection and layer normalisation around one
sub-layer (lesson 03).

Book: *Foundations of LLMs* ch. 1, the Transformer block: every sub-layer
(self-attention, cross-attention, feed-forward) is wrapped as post-norm
x = LN(x + F(x)) (Vaswani et al. 2017, sec. 3.1, "LayerNorm(x + Sublayer(x))")
or pre-norm x = x + F(LN(x)) (Xiong et al. 2020). Peers: the ``_sa_block`` /
``_ff_block`` wiring inside ``torch.nn.TransformerEncoderLayer.forward`` (its
``norm_first`` flag) and the Annotated Transformer's ``SublayerConnection``.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from .._checks import check_float_tensor

SubLayer = Callable[[Tensor], Tensor]


def sublayer_connection(x: Tensor, sublayer: SubLayer, norm: SubLayer,
                        norm_first: bool = False) -> Tensor:
    """Wrap ``sublayer`` in a residual connection and ``norm``: ``x (..., E) -> (..., E)``.

    Post-norm (``norm_first=False``, Vaswani et al.): ``norm(x + sublayer(x))``.
    Pre-norm (``norm_first=True``): ``x + sublayer(norm(x))``, the residual stream
    itself stays un-normalised. ``sublayer`` and ``norm`` map ``(..., E)`` to
    ``(..., E)`` (a sub-layer with its dropout, a ``LayerNorm``).
    """
    check_float_tensor(x, "x")
    for name, fn in (("sublayer", sublayer), ("norm", norm)):
        if not callable(fn):
            raise ValueError(f"expected {name} to be callable (a module or function of x), got "
                             f"{type(fn).__name__}")
    if norm_first:
        return x + sublayer(norm(x))  # (..., E): only the sub-layer's input is normalised
    return norm(x + sublayer(x))  # (..., E): the sum is normalised
