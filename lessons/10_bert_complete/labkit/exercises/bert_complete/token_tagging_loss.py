"""Lesson 10's ``token_tagging_loss`` harness: cross-entropy over the tagged tokens only,
labels -100 elsewhere (Hugging Face ``BertForTokenClassification``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Mistake, Tolerance, Verdict
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, judge_values, randn
from ._losses import logits, token_labels


@register
class TokenTaggingLossHarness(Harness):
    """``token_tagging_loss(logits (B, T, C), labels (B, T)) -> scalar``."""

    lesson = LESSON
    name = "token_tagging_loss"
    title = "the tagging loss over the labelled tokens"
    grad_inputs = ("logits",)
    # Measured (_bank.py, 50 seeds, visible and hidden): max abs error 5.3e-07 (loss) and
    # 2.7e-08 (gradients); the worst element uses 0.05 of this tolerance.
    tolerance = Tolerance(atol=3e-6, rtol=3e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # Rows differ in how many tokens are tagged, so a mean per sentence differs.
        shapes = [((4, 9, 5), [7, 2, 5, 1]), ((3, 8, 7), [3, 6, 2])] if hidden else \
                 [((3, 8, 5), [6, 2, 4]), ((2, 7, 4), [1, 5])]
        out = []
        for (b, t, c), counts in shapes:
            inputs = {"logits": logits(gen, b, t, c), "labels": token_labels(gen, b, t, c, counts)}
            name = f"{b} sentences, {t} positions, {c} tags"
            out.append(Case(name, f"{name}: logits {(b, t, c)}, labels {(b, t)} with "
                            f"{', '.join(map(str, counts))} tagged tokens per row, -100 elsewhere",
                            inputs, {}, {"loss": randn(gen)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"loss": candidate(inputs["logits"], inputs["labels"])}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        return judge_values(self.name, got, expected, mistakes, case, hidden=hidden, tol=self.tolerance)
