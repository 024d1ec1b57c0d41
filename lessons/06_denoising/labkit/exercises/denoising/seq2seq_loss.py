"""Lesson 06's ``seq2seq_loss`` harness: the teacher-forced loss over every target token.

``seq2seq_loss`` is deterministic and uses the ordinary layered comparison against the
reference (``reference.denoising.seq2seq_loss``), values and gradients.
"""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import IGNORE_INDEX, LESSON


@register
class Seq2SeqLossHarness(Harness):
    """``seq2seq_loss(logits (B, T, V), labels (B, T), reduction="mean" | "sum") -> scalar``."""

    lesson = LESSON
    name = "seq2seq_loss"
    title = "teacher-forced cross-entropy over the target tokens: per-token mean and sum"
    grad_inputs = ("logits",)
    # Measured (python -m tests.grader.checks.catalogue.denoising.measure): the float32 bank of correct
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
