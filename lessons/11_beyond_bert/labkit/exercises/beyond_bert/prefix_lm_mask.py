"""Lesson 11's ``prefix_lm_mask`` harness: bidirectional over the prefix, causal after it,
never to padding (Dong et al. 2019; Raffel et al. 2020, sec. 3.2.1)."""

from __future__ import annotations

from typing import Any

import torch

from ...harness import Case, Harness
from .. import register
from ._common import CLS_ID, LESSON, NUM_SPECIAL, PAD_ID, _pick


def _rows(gen: torch.Generator, b: int, t: int, pad_id: int, lengths: list[int]) -> torch.Tensor:
    ids = torch.randint(NUM_SPECIAL, 40, (b, t), generator=gen)
    ids[:, 0] = CLS_ID
    for row, n in enumerate(lengths):
        ids[row, n:] = pad_id
    return ids


@register
class PrefixLMMaskHarness(Harness):
    """``prefix_lm_mask(input_ids (B, T), prefix_lengths (B,), pad_id) -> (B, 1, T, T)`` bool."""

    lesson = LESSON
    name = "prefix_lm_mask"
    title = "the prefix-LM mask: bidirectional over the prefix, causal after it"

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t = (5, 8) if hidden else (4, 7)
        # Rows of different lengths; prefixes of 1 (a causal LM), of the whole row (an
        # encoder) and in between.
        lengths = [t] + [_pick(gen, 3, t) for _ in range(b - 1)]
        lengths[-1] = 3
        prefixes = [_pick(gen, 2, lengths[0] - 2), 1, lengths[2], _pick(gen, 1, 2)] + \
            [_pick(gen, 1, n) for n in lengths[4:]]
        ids = _rows(gen, b, t, PAD_ID, lengths)
        out = [Case("padded batch", f"input_ids {(b, t)} right-padded (pad_id=0), prefix_lengths "
                    f"({b},) from 1 (a causal LM) to a whole row (an encoder)",
                    {"input_ids": ids, "prefix_lengths": torch.tensor(prefixes)}, {"pad_id": PAD_ID})]
        pad_id = _pick(gen, 5, 9) if hidden else 7
        b2, t2 = (3, 6)
        lengths = [t2, 4, 5]
        ids = _rows(gen, b2, t2, pad_id, lengths)
        ids[0, 2] = 0  # a real token whose id is 0
        out.append(Case("pad_id != 0", f"input_ids {(b2, t2)} padded with a pad_id other than 0, a "
                        "real token with id 0, prefix_lengths (3,)",
                        {"input_ids": ids, "prefix_lengths": torch.tensor([3, 2, 4])}, {"pad_id": pad_id}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"mask": candidate(inputs["input_ids"], inputs["prefix_lengths"], case.args["pad_id"])}
