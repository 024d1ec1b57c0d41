"""The torch-only stand-in encoder of ``last_four_layers``: ``layers``, an ``nn.ModuleList``
of small layers each called as ``layer(x, mask)``, as the provided ``Encoder`` is.

A toy layer mixes the positions through a masked mean over the real keys, so a layer run
without the mask gives other states where a row is padded.
"""

from __future__ import annotations

import torch
from torch import nn


class ToyLayer(nn.Module):
    """``x + tanh(x W + mean over real keys of x U)``: ``(B, T, E) -> (B, T, E)``."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.w = nn.Linear(d_model, d_model)
        self.u = nn.Linear(d_model, d_model, bias=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        keep = torch.ones(x.shape[:2], dtype=x.dtype) if mask is None else \
            mask.reshape(x.shape[0], -1).to(x.dtype)  # (B, T) from (B, 1, 1, T)
        mean = (x * keep[..., None]).sum(1, keepdim=True) / keep.sum(1)[:, None, None]  # (B, 1, E)
        return x + torch.tanh(self.w(x) + self.u(mean))


class ToyEncoder(nn.Module):
    """``num_layers`` toy layers in ``layers``; ``forward(x, mask)`` runs them in turn."""

    def __init__(self, num_layers: int, d_model: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(ToyLayer(d_model) for _ in range(num_layers))
        self.norm = None

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, mask)
        return x
