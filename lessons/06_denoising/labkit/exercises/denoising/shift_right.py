"""Lesson 06's ``shift_right`` harness: the decoder's input for teacher forcing.

``shift_right`` is deterministic and uses the ordinary layered comparison against the
reference (``reference.denoising.shift_right``).
"""

from __future__ import annotations

from typing import Any

import torch

from ...harness import Case, Harness
from .. import register
from ._common import BOS_ID, COMMON_HINTS, IGNORE_INDEX, LESSON, PAD_ID


@register
class ShiftRightHarness(Harness):
    """``shift_right(labels (B, T), start_id, pad_id) -> decoder input (B, T)``."""

    lesson = LESSON
    name = "shift_right"
    title = "the decoder's input: <s> first, the labels shifted right, -100 turned into padding"
    hints = {"mutates_input": COMMON_HINTS["mutates_input"].replace("tokens", "labels")}

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        def labels(b: int, t: int, lengths: list[int]) -> torch.Tensor:
            out = torch.randint(15, 60, (b, t), generator=gen)
            for row, n in enumerate(lengths):
                out[row, n:] = IGNORE_INDEX
            return out

        if hidden:
            sizes = [(4, 7, [7, 3, 5, 1]), (3, 5, [2, 5, 4])]
            other_start, other_pad = int(torch.randint(7, 15, (1,), generator=gen)), 1
        else:
            sizes = [(3, 6, [6, 2, 4]), (2, 5, [3, 5])]
            other_start, other_pad = 2, 1
        out = []
        (b, t, lengths), (b2, t2, lengths2) = sizes
        y = labels(b, t, lengths)
        out.append(Case("padding in the middle", f"labels {(b, t)} with -100 after each row's "
                        f"end (row lengths {lengths}), start_id={BOS_ID}, pad_id={PAD_ID}",
                        {"labels": y}, {"start_id": BOS_ID, "pad_id": PAD_ID}))
        y = labels(b2, t2, lengths2)
        out.append(Case("other ids", f"labels {(b2, t2)}, row lengths {lengths2}, "
                        f"start_id={other_start}, pad_id={other_pad}", {"labels": y},
                        {"start_id": other_start, "pad_id": other_pad}))
        y = labels(2, 1, [1, 0])
        out.append(Case("one position", f"labels (2, 1), start_id={BOS_ID}, pad_id={PAD_ID}",
                        {"labels": y}, {"start_id": BOS_ID, "pad_id": PAD_ID}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"decoder_input": candidate(inputs["labels"], case.args["start_id"], case.args["pad_id"])}
