"""Lesson 02, exercise ``padding_mask``: a (B, T) bool mask, True at real tokens (the key
padding mask of Vaswani et al. 2017; ``key_padding_mask`` of ``nn.MultiheadAttention`` with
the opposite polarity)."""

from __future__ import annotations

from typing import Any

import torch

from ...harness import Case, Harness
from .. import register
from ._common import LESSON, NamesFailures, lengths_of


@register
class PaddingMaskHarness(NamesFailures, Harness):
    """``padding_mask(input_ids (B, T), pad_id) -> (B, T)`` bool, True at real tokens."""

    lesson = LESSON
    name = "padding_mask"
    title = "a (B, T) bool mask, True at real tokens"

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t = (4, 9) if hidden else (3, 6)
        out = []
        # Right padding with the course's [PAD] = 0; the middle sequence is the shortest.
        pad_id = 0
        lengths = lengths_of(gen, b, t)
        lengths[1] = 2
        ids = torch.randint(7, 50, (b, t), generator=gen)
        ids[torch.arange(t)[None, :] >= lengths[:, None]] = pad_id
        out.append(Case("right padding", f"input_ids {tuple(ids.shape)}, pad_id 0, padded on the "
                        "right", {"input_ids": ids}, {"pad_id": pad_id}))
        # Left padding, another pad id, and real tokens with id 0.
        pad_id = int(torch.randint(1, 6, (1,), generator=gen)) if hidden else 3
        lengths = lengths_of(gen, b, t)
        real = torch.randint(7, 50, (b, t), generator=gen)
        real[:, -1] = 0  # a real token whose id is 0
        ids = torch.where(torch.arange(t)[None, :] >= (t - lengths)[:, None], real,
                          torch.full_like(real, pad_id))
        out.append(Case("left padding, pad_id != 0", f"input_ids {tuple(ids.shape)}, a pad_id "
                        "other than 0, padded on the left, real tokens with id 0",
                        {"input_ids": ids}, {"pad_id": pad_id}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"mask": candidate(inputs["input_ids"], case.args["pad_id"])}
