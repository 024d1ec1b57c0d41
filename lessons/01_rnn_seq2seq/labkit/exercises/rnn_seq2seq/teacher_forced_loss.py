"""Lesson 01, exercise ``teacher_forced_loss``: L = -sum_t log p(y_t | y_<t, c) over the real
target tokens, summed or averaged (peer: ``F.cross_entropy(..., ignore_index=-100)``)."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import IGNORE_INDEX, LESSON, lengths_of, randn, right_padded


@register
class TeacherForcedLossHarness(Harness):
    """``teacher_forced_loss(logits (B, T, V), labels (B, T), reduction) -> scalar``;
    every case calls it with ``"sum"`` and with ``"mean"``."""

    lesson = LESSON
    name = "teacher_forced_loss"
    title = "L = -sum_t log p(y_t | y_<t, c) over real target tokens (sum and mean)"
    grad_inputs = ("logits",)
    # Measured, float32 bank vs float64 reference over 200 seeds: max |error| / (1 + |expected|)
    # 6.7e-07 (the gradient of the logits); the "sum" loss 1.8e-07 (max abs error 1.3e-05 on
    # a loss of about 70). About 10x margin.
    tolerance = Tolerance(atol=7e-6, rtol=7e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # Rows have different numbers of real tokens (the middle one the fewest), so a mean
        # per sequence differs from the mean per token; B, T and V differ.
        shapes = [(4, 6, 11), (3, 8, 9)] if hidden else [(3, 5, 7), (2, 4, 9)]
        out = []
        for b, t, v in shapes:
            lengths = lengths_of(gen, b, t, shortest=1)
            logits = randn(gen, b, t, v, scale=2.0)
            labels = torch.randint(1, v, (b, t), generator=gen)
            labels = labels.masked_fill(~right_padded(lengths, t), IGNORE_INDEX)
            name = f"{b} targets of {', '.join(map(str, lengths.tolist()))} tokens"
            up = {"sum": randn(gen), "mean": randn(gen)}
            out.append(Case(name, f"{name}: logits {(b, t, v)}, labels {(b, t)} with -100 at "
                            "padding; called with reduction 'sum' and 'mean'",
                            {"logits": logits, "labels": labels}, {}, up))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"sum": candidate(inputs["logits"], inputs["labels"], "sum"),
                "mean": candidate(inputs["logits"], inputs["labels"], "mean")}
