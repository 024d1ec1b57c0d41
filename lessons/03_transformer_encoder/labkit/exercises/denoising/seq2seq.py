"""Lesson 06's teacher-forcing harnesses, ``shift_right`` and ``seq2seq_loss``.

``shift_right`` and ``seq2seq_loss`` are deterministic and use the ordinary layered
comparison against the reference.
"""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import BOS_ID, COMMON_HINTS, IGNORE_INDEX, LESSON, PAD_ID


@register
class ShiftRight(Harness):
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


@register
class Seq2SeqLoss(Harness):
    """``seq2seq_loss(logits (B, T, V), labels (B, T), reduction="mean" | "sum") -> scalar``."""

    lesson = LESSON
    name = "seq2seq_loss"
    title = "teacher-forced cross-entropy over the target tokens: per-token mean and sum"
    grad_inputs = ("logits",)
    # Measured (python -m tests.grader.test_denoising): the float32 bank of correct
    # alternatives against the float64 reference over 300 seeds, visible and hidden cases:
    # max abs error 7.9e-7 on "mean", 1.2e-5 on "sum" (relative 1.6e-7; sums reach ~70),
    # 6.5e-7 on the gradients. The tolerance is about 10x that.
    tolerance = Tolerance(atol=7e-6, rtol=2e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # Rows differ in their number of targets (a per-sequence mean differs from the
        # per-token one), the shortest in the middle of the batch; T != V.
        shapes = [((4, 7, 13), [7, 2, 5, 4]), ((3, 5, 9), [3, 1, 5])] if hidden else \
                 [((3, 6, 11), [6, 2, 4]), ((2, 4, 7), [4, 1])]
        out = []
        for (b, t, v), lengths in shapes:
            logits = 2.0 * torch.randn(b, t, v, generator=gen, dtype=torch.float64)
            labels = torch.randint(0, v, (b, t), generator=gen)
            for row, n in enumerate(lengths):
                labels[row, n:] = IGNORE_INDEX
            up = {"mean": torch.randn((), generator=gen, dtype=torch.float64),
                  "sum": torch.randn((), generator=gen, dtype=torch.float64)}
            name = f"{b} rows of {', '.join(map(str, lengths))} targets"
            out.append(Case(name, f"{name}: logits {(b, t, v)}, labels {(b, t)} with -100 after "
                            "each row's end; reduction 'mean' and 'sum'",
                            {"logits": logits, "labels": labels}, {}, up))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"mean": candidate(inputs["logits"], inputs["labels"], reduction="mean"),
                "sum": candidate(inputs["logits"], inputs["labels"], reduction="sum")}
