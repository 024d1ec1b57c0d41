"""``TransformerEmbedding``: token embedding scaled by sqrt(d_model) plus learned or
sinusoidal positions (Vaswani et al. 2017, sec. 3.4 and 3.5)."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case
from .. import register
from ._common import LESSON, NamedParamsHarness, padding, randn


@register
class TransformerEmbeddingHarness(NamedParamsHarness):
    """``TransformerEmbedding(vocab_size, d_model, max_len, positional, dropout, pad_id)``:
    ``token`` (nn.Embedding, padding_idx=pad_id) and, when positional="learned",
    ``position`` (nn.Embedding(max_len, d_model)); forward(input_ids (B, T)) -> (B, T, E)."""

    lesson = LESSON
    name = "TransformerEmbedding"
    title = "token embedding * sqrt(d_model) + positions (learned or sinusoidal)"
    # Measured (100 seeds): max abs error 4.6e-7 (outputs), 2.0e-6 (gradients); the worst
    # element uses 1/11 of the tolerance.
    tolerance = Tolerance(atol=1e-5, rtol=1e-5)
    structure = ("expected exactly token = nn.Embedding(vocab_size, d_model, padding_idx=pad_id) "
                 "and, only when positional='learned', position = nn.Embedding(max_len, d_model) "
                 "(the sinusoid is a fixed table, not a parameter)")
    grad_inputs = ()

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        return [_learned_case(gen, hidden), _sinusoidal_case(gen, hidden)]

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        dtype = inputs["param:token.weight"].dtype
        module = self.build(candidate, case, inputs, dtype)
        return {"out": module(inputs["input_ids"])}


def _learned_case(gen: torch.Generator, hidden: bool) -> Case:
    """Learned positions, [PAD] = 0. vocab_size < max_len: positions looked up by token
    id give wrong values (not an index error); T < max_len: the table must be sliced."""
    b, t, v, e, length = (4, 7, 13, 10, 15) if hidden else (3, 6, 11, 6, 12)
    real = torch.randint(1, v, (b, t), generator=gen)
    ids = torch.where(padding(gen, b, t), real, torch.zeros_like(real))
    params = {"param:token.weight": randn(gen, v, e, scale=e ** -0.5),
              "param:position.weight": randn(gen, length, e, scale=0.5)}
    params["param:token.weight"][0] = 0.0
    init = {"vocab_size": v, "d_model": e, "max_len": length, "positional": "learned",
            "dropout": 0.1, "pad_id": 0}
    return Case("learned positions", f"TransformerEmbedding(vocab_size={v}, d_model={e}, "
                f"max_len={length}, positional='learned', dropout=0.1, pad_id=0); input_ids "
                f"{(b, t)} with padding", {"input_ids": ids, **params}, {"init": init},
                {"out": randn(gen, b, t, e)})


def _sinusoidal_case(gen: torch.Generator, hidden: bool) -> Case:
    """Sinusoidal positions, pad_id 3, real tokens with id 0."""
    b, t, v, e, length = (3, 9, 23, 12, 20) if hidden else (2, 7, 20, 8, 16)
    pad_id = 3
    real = torch.randint(0, v - 1, (b, t), generator=gen)
    real = real + (real >= pad_id).long()  # every id but the pad id
    real[:, 1] = 0
    ids = torch.where(padding(gen, b, t), real, torch.full_like(real, pad_id))
    token = randn(gen, v, e, scale=e ** -0.5)
    token[pad_id] = 0.0
    init = {"vocab_size": v, "d_model": e, "max_len": length, "positional": "sinusoidal",
            "dropout": 0.1, "pad_id": pad_id}
    return Case("sinusoidal positions, pad_id 3", f"TransformerEmbedding(vocab_size={v}, "
                f"d_model={e}, max_len={length}, positional='sinusoidal', dropout=0.1, "
                f"pad_id={pad_id}); input_ids {(b, t)} with padding and real tokens of id 0",
                {"input_ids": ids, "param:token.weight": token}, {"init": init},
                {"out": randn(gen, b, t, e)})
