"""Lesson 01, exercise ``RNNEncoder``: the encoder loop h_t = tanh(W_x x_t + W_h h_{t-1} + b),
a padded step keeping the previous state (peer: ``torch.nn.RNN``)."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, ModuleHarness
from .. import register
from ._common import (
    LESSON,
    PAD_ID,
    ValuesFirst,
    left_padded,
    lengths_of,
    randn,
    right_padded,
)


@register
class RNNEncoderHarness(ValuesFirst, ModuleHarness):
    """``RNNEncoder(vocab_size, embed_dim, hidden_size, pad_id)``; ``forward(src_ids)``
    -> all hidden states (B, T, H), a padded step keeping the previous state."""

    lesson = LESSON
    name = "RNNEncoder"
    title = "the RNN encoder loop h_t = tanh(W_x x_t + W_h h_{t-1} + b), padding-aware"
    parameters_rule = ("the module's parameters must be exactly those the given __init__ "
                       "creates (embedding, input_to_hidden, hidden_to_hidden)")
    # Measured, float32 bank vs float64 reference over 200 seeds: max |error| / (1 + |expected|)
    # 2.7e-06 (the gradient of input_to_hidden.bias, max abs error 1.0e-05); the states
    # 4.0e-07. About 10x margin.
    tolerance = Tolerance(atol=3e-5, rtol=3e-5)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # (B, T, V, E, H): all different, so a wrong stacking axis gives a wrong shape.
        b, t, v, e, h = (4, 7, 19, 5, 6) if hidden else (3, 5, 17, 4, 6)
        out = []
        # Right padding with [PAD] = 0; the middle sequence is the shortest.
        lengths = lengths_of(gen, b, t)
        ids = torch.randint(1, v, (b, t), generator=gen)
        ids = ids.masked_fill(~right_padded(lengths, t), PAD_ID)
        out.append(self._case(gen, "right padding", f"src_ids {(b, t)} padded on the right with "
                              f"pad_id {PAD_ID}, lengths {lengths.tolist()}", ids, v, e, h, PAD_ID))
        # Left padding, another pad id, and real tokens with id 0.
        pad_id = int(torch.randint(2, 5, (1,), generator=gen)) if hidden else 3
        lengths = lengths_of(gen, b, t)
        words = torch.randint(0, v - 1, (b, t), generator=gen)
        words = words + (words >= pad_id).long()  # never pad_id
        words[:, -1] = 0  # a real token whose id is 0
        ids = torch.where(left_padded(lengths, t), words, torch.full_like(words, pad_id))
        out.append(self._case(gen, "left padding, pad_id != 0", f"src_ids {(b, t)} padded on "
                              f"the left with pad_id {pad_id}, real tokens with id 0",
                              ids, v, e, h, pad_id))
        return out

    @staticmethod
    def _case(gen: torch.Generator, name: str, describe: str, ids: torch.Tensor, v: int, e: int,
              h: int, pad_id: int) -> Case:
        embedding = randn(gen, v, e)
        embedding[pad_id] = 0.0  # as nn.Embedding(padding_idx=...) starts, and stays
        params = {"param:embedding.weight": embedding,
                  "param:input_to_hidden.weight": randn(gen, h, e, scale=e ** -0.5),
                  "param:input_to_hidden.bias": randn(gen, h, scale=0.3),
                  "param:hidden_to_hidden.weight": randn(gen, h, h, scale=h ** -0.5)}
        init = {"vocab_size": v, "embed_dim": e, "hidden_size": h, "pad_id": pad_id}
        describe = f"RNNEncoder(vocab_size={v}, embed_dim={e}, hidden_size={h}, " \
                   f"pad_id={pad_id}); {describe}"
        b, t = ids.shape
        return Case(name, describe, {"src_ids": ids, **params}, {"init": init},
                    {"states": randn(gen, b, t, h)})

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        dtype = inputs["param:embedding.weight"].dtype
        module = self.build(candidate, case, inputs, dtype)
        return {"states": module(inputs["src_ids"])}
