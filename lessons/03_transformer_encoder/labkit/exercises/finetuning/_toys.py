"""The torch-only stand-in models of ``load_pretrained_encoder`` and ``freeze_layers``,
and the helpers that build, load and describe them.

``load_pretrained_encoder`` and ``freeze_layers`` act on models, not tensors. Their
harnesses build small stand-ins with the classifier's layout (``embedding.token``,
``encoder.layers[i]``, ``encoder.norm = None``, ``dropout``, ``classifier``; the masked
LM has ``mlm_head.dense / norm / proj`` with ``proj`` tied to the token embedding),
with torch only, so that the student's kernel needs nothing but this package. What is
recorded is plain data that depends on the seed: the weights after the call, which
parameters require gradients, the gradients of a backward pass, and a few facts
that only serve to name a mistake (modules switched to eval mode, a ``requires_grad``
attribute set on a module).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import torch
from torch import nn

from ._common import _pick, _randn


class _ToyLayer(nn.Module):
    def __init__(self, e: int) -> None:
        super().__init__()
        self.ff = nn.Linear(e, e)
        self.norm1 = nn.LayerNorm(e)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm1(x + torch.tanh(self.ff(x)))


class _ToyEncoder(nn.Module):
    def __init__(self, e: int, layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(_ToyLayer(e) for _ in range(layers))
        self.norm = None  # post-norm, like the lesson's encoder: no final LayerNorm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class _ToyEmbedding(nn.Module):
    def __init__(self, v: int, e: int) -> None:
        super().__init__()
        self.token = nn.Embedding(v, e)
        self.dropout = nn.Dropout(0.1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.token(ids))


class ToyClassifier(nn.Module):
    """The classifier's layout: ``embedding``, ``encoder`` (``layers``, ``norm``), ``dropout``,
    ``classifier``; ``forward(ids) -> (B, num_labels)`` from position 0."""

    def __init__(self, v: int, e: int, layers: int, labels: int) -> None:
        super().__init__()
        self.embedding = _ToyEmbedding(v, e)
        self.encoder = _ToyEncoder(e, layers)
        self.dropout = nn.Dropout(0.1)
        self.classifier = nn.Linear(e, labels)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.encoder(self.embedding(ids))[:, 0]))


class _ToyHead(nn.Module):
    def __init__(self, e: int, v: int) -> None:
        super().__init__()
        self.dense = nn.Linear(e, e)
        self.norm = nn.LayerNorm(e)
        self.proj = nn.Linear(e, v)


class ToyMaskedLM(nn.Module):
    """A masked LM's layout: ``embedding``, ``encoder``, ``mlm_head`` (``proj`` tied)."""

    def __init__(self, v: int, e: int, layers: int) -> None:
        super().__init__()
        self.embedding = _ToyEmbedding(v, e)
        self.encoder = _ToyEncoder(e, layers)
        self.mlm_head = _ToyHead(e, v)
        self.mlm_head.proj.weight = self.embedding.token.weight


def _toy_params(gen: torch.Generator, model: nn.Module, prefix: str) -> dict[str, torch.Tensor]:
    """Random values for each (distinct) parameter of ``model``, keyed ``<prefix><name>``."""
    out = {}
    for n, p in model.named_parameters():
        if n.endswith("norm1.weight") or n.endswith("norm.weight"):
            out[prefix + n] = 1 + _randn(gen, *p.shape, scale=0.3)
        else:
            out[prefix + n] = _randn(gen, *p.shape, scale=0.5)
    return out


def _load(model: nn.Module, inputs: Mapping[str, torch.Tensor], prefix: str, dtype: torch.dtype
          ) -> nn.Module:
    model.to(dtype)
    with torch.no_grad():
        for n, p in model.named_parameters():
            p.copy_(inputs[prefix + n])
    model.train()
    return model


def _toy_sizes(gen: torch.Generator, hidden: bool, i: int) -> tuple[int, int, int, int]:
    """(vocab, d_model, layers, labels) of case ``i``: all different from each other."""
    if hidden:
        return _pick(gen, 9, 14), _pick(gen, 4, 7), _pick(gen, 3, 5), _pick(gen, 2, 3)
    return ((12, 6, 4, 3), (10, 5, 3, 2))[i % 2]


def _group(name: str) -> str:
    """A parameter's part of the model, in words."""
    m = re.match(r"encoder\.layers\.(\d+)\.", name)
    if m:
        return f"encoder layer {m.group(1)}"
    return name.split(".")[0]


def _groups(names: list[str], flags: torch.Tensor) -> list[str]:
    seen: list[str] = []
    for n, f in zip(names, flags.tolist(), strict=True):
        if f and _group(n) not in seen:
            seen.append(_group(n))
    return seen
