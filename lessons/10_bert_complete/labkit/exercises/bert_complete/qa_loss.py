"""Lesson 10's ``qa_loss`` harness: the mean of the start and end cross-entropies
(Devlin et al. 2019, sec. 4.2, SQuAD v1.1; Hugging Face ``BertForQuestionAnswering``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Mistake, Tolerance, Verdict
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, judge_values, pick, randn
from ._losses import logits


@register
class QALossHarness(Harness):
    """``qa_loss(start_logits (B, T), end_logits (B, T), start_positions (B,),
    end_positions (B,)) -> scalar``."""

    lesson = LESSON
    name = "qa_loss"
    title = "the mean of the start and end cross-entropies"
    grad_inputs = ("start_logits", "end_logits")
    # Measured (_bank.py, 50 seeds, visible and hidden): max abs error 6.0e-07 (loss) and
    # 6.1e-08 (gradients); the worst element uses 0.04 of this tolerance.
    tolerance = Tolerance(atol=3e-6, rtol=3e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        sizes = [(pick(gen, 3, 5), pick(gen, 8, 11)), (pick(gen, 2, 3), pick(gen, 6, 7))] if hidden \
            else [(3, 8), (4, 10)]
        out = []
        for i, (b, t) in enumerate(sizes):
            starts = torch.randint(0, t - 3, (b,), generator=gen)
            ends = starts + torch.randint(1, 4, (b,), generator=gen)  # answers of 2 to 4 tokens
            inputs = {"start_logits": logits(gen, b, t), "end_logits": logits(gen, b, t),
                      "start_positions": starts, "end_positions": ends}
            name = f"{i + 1}: {b} questions, {t} positions"
            out.append(Case(name, f"{name}: start_logits and end_logits {(b, t)}, start_positions "
                            f"and end_positions {(b,)} with end > start", inputs, {}, {"loss": randn(gen)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"loss": candidate(inputs["start_logits"], inputs["end_logits"], inputs["start_positions"],
                                  inputs["end_positions"])}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        return judge_values(self.name, got, expected, mistakes, case, hidden=hidden, tol=self.tolerance)
