"""Features from a pre-trained encoder's layers (lesson 10).

Book: *Foundations of LLMs* ch. 1, using BERT's representations; Devlin et al. 2019,
sec. 5.3 and table 7 (feature-based NER on CoNLL-2003, dev F1): concatenating the
token's hidden states from the last four layers (96.1) did best, near fine-tuning
(96.4); a weighted sum of the last four gave 95.9, the second-to-last layer 95.6, the
last layer alone 94.9, the embeddings 91.0.

The encoder is run layer by layer (``encoder.layers``, each ``layer(x, mask)``), so the
provided ``Encoder`` needs no change. Peer: Hugging Face's
``output_hidden_states=True``, whose ``hidden_states[-4:]`` are these four layers
(its tuple also holds the embeddings first).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from reference._checks import check_choice, check_float_tensor

__all__ = ["last_four_layers", "layer_hidden_states"]


def layer_hidden_states(encoder: nn.Module, x: Tensor, mask: Tensor | None = None) -> list[Tensor]:
    """The output of every layer of ``encoder.layers`` on ``x`` (B, T, E): a list of (B, T, E).

    The last one is what the encoder returns when it has no final norm (post-norm,
    BERT's layout).
    """
    check_float_tensor(x, "x", ndim=3, layout="(B, T, E)")
    states = []
    for layer in encoder.layers:
        x = layer(x, mask)  # (B, T, E)
        states.append(x)
    return states


def last_four_layers(encoder: nn.Module, x: Tensor, mask: Tensor | None = None,
                     combine: str = "concat") -> Tensor:
    """Token features from the last four layers of ``encoder``.

    ``combine="concat"``: the four states side by side, fourth-to-last first,
    ``(B, T, 4E)``; ``"sum"``: their sum, ``(B, T, E)``. The encoder needs at least
    four layers.
    """
    check_choice(combine, "combine", ("concat", "sum"))
    if len(encoder.layers) < 4:
        raise ValueError(f"expected an encoder with at least 4 layers, got {len(encoder.layers)}")
    last = layer_hidden_states(encoder, x, mask)[-4:]
    if combine == "concat":
        return torch.cat(last, dim=-1)  # (B, T, 4E)
    return torch.stack(last).sum(dim=0)  # (4, B, T, E) -> (B, T, E)
