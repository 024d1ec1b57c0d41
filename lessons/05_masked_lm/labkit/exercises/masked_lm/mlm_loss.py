"""Lesson 05's ``mlm_loss`` harness (mean cross-entropy over the selected positions,
those whose label is not -100; Devlin et al. 2019, sec. 3.1).
"""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import IGNORE_INDEX, LESSON


def _labels(gen: torch.Generator, logits: torch.Tensor, counts: list[int]) -> torch.Tensor:
    """Labels with ``counts[b]`` selected positions in row ``b`` and -100 elsewhere."""
    b, t, v = logits.shape
    labels = torch.full((b, t), IGNORE_INDEX, dtype=torch.long)
    for row, n in enumerate(counts):
        where = torch.randperm(t, generator=gen)[:n]
        labels[row, where] = torch.randint(0, v, (n,), generator=gen)
    return labels


@register
class MLMLossHarness(Harness):
    """``mlm_loss(logits (B, T, V), labels (B, T)) -> scalar``: mean cross-entropy over the
    positions whose label is not -100."""

    lesson = LESSON
    name = "mlm_loss"
    title = "cross-entropy on the selected positions only"
    grad_inputs = ("logits",)
    # Measured: the float32 alternatives of tests/grader/checks/catalogue/masked_lm/_bank.py
    # against the float64 reference, 300 seeds, visible and hidden cases: max abs error
    # 8.5e-7 on the loss (values up to 7) and 1.6e-7 on its gradient; this tolerance is
    # 13x the worst.
    tolerance = Tolerance(atol=2e-6, rtol=2e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # Rows differ in how many positions are selected (so a per-row mean differs from the
        # per-token mean), one row has none and one has all of them.
        shapes = [((4, 7, 13), [2, 0, 7, 1]), ((3, 9, 10), [9, 1, 3])] if hidden else \
                 [((3, 6, 11), [3, 0, 1]), ((2, 5, 7), [5, 1])]
        out = []
        for (b, t, v), counts in shapes:
            logits = 2.0 * torch.randn(b, t, v, generator=gen, dtype=torch.float64)
            labels = _labels(gen, logits, counts)
            up = {"loss": torch.randn((), generator=gen, dtype=torch.float64)}
            name = f"{b} rows with {', '.join(map(str, counts))} selected positions"
            out.append(Case(name, f"{name}: logits {(b, t, v)}, labels {(b, t)}",
                            {"logits": logits, "labels": labels}, {}, up))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"loss": candidate(inputs["logits"], inputs["labels"])}
