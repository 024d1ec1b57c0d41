"""``decoder_self_mask(tgt_ids, pad_id)``: the causal AND target-padding mask of decoder
self-attention (Vaswani et al. 2017, sec. 3.2.3)."""

from __future__ import annotations

from typing import Any

import torch

from ...harness import Case, Harness
from .. import register
from ._common import (
    BOS_ID,
    LESSON,
    NUM_SPECIAL,
    PAD_ID,
    Diagnoses,
    key_mask,
    lengths_of_rows,
    randint,
)


@register
class DecoderSelfMaskHarness(Diagnoses, Harness):
    """``decoder_self_mask(tgt_ids (B, T), pad_id) -> (B, 1, T, T)`` bool: query i may
    attend key j when j <= i and token j is not padding."""

    lesson = LESSON
    name = "decoder_self_mask"
    title = "causal AND target-padding mask for decoder self-attention"

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t = (4, 7) if hidden else (3, 6)
        out = []
        lengths = lengths_of_rows(gen, b, t)
        ids = torch.randint(NUM_SPECIAL, 40, (b, t), generator=gen)
        ids[:, 0] = BOS_ID
        ids[~key_mask(lengths, t)] = PAD_ID
        out.append(Case("padded batch", f"tgt_ids {(b, t)}, pad_id=0, rows of lengths "
                        f"{lengths.tolist()} (padded on the right)" if not hidden else
                        f"tgt_ids {(b, t)}, pad_id=0, rows of different lengths",
                        {"tgt_ids": ids}, {"pad_id": PAD_ID}))
        # Another pad id, and a real token whose id is 0.
        pad_id = randint(gen, 1, 5) if hidden else 3
        b2, t2 = (3, 5) if hidden else (2, 5)
        lengths = lengths_of_rows(gen, b2, t2)
        ids = torch.randint(NUM_SPECIAL, 40, (b2, t2), generator=gen)
        ids[:, 0] = BOS_ID
        ids[0, 1] = 0  # a real token with id 0
        ids[~key_mask(lengths, t2)] = pad_id
        out.append(Case("pad_id != 0", f"tgt_ids {(b2, t2)}, a pad_id other than 0, a real token "
                        "with id 0", {"tgt_ids": ids}, {"pad_id": pad_id}))
        ids = torch.full((2, 1), BOS_ID, dtype=torch.long)
        out.append(Case("one-token prefix", "tgt_ids (2, 1) holding only <s>, pad_id=0",
                        {"tgt_ids": ids}, {"pad_id": PAD_ID}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"mask": candidate(inputs["tgt_ids"], case.args["pad_id"])}
