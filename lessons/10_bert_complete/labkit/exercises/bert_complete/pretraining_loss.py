"""Lesson 10's ``pretraining_loss`` harness: BERT's MLM loss plus the NSP loss
(Devlin et al. 2019, sec. 3.1; Hugging Face ``BertForPreTraining``)."""

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
class PretrainingLossHarness(Harness):
    """``pretraining_loss(mlm_logits (B, T, V), mlm_labels (B, T), nsp_logits (B, 2),
    nsp_labels (B,)) -> scalar``."""

    lesson = LESSON
    name = "pretraining_loss"
    title = "MLM loss + NSP loss"
    grad_inputs = ("mlm_logits", "nsp_logits")
    # Measured (_bank.py, 50 seeds, visible and hidden): max abs error 8.8e-07 (loss) and
    # 1.1e-07 (gradients); the worst element uses 0.03 of this tolerance.
    tolerance = Tolerance(atol=5e-6, rtol=5e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        shapes = [((4, 7, 13), [2, 1, 5, 3]), ((3, 9, 11), [1, 4, 2])] if hidden else \
                 [((3, 6, 11), [3, 1, 2]), ((4, 5, 9), [1, 2, 4, 1])]
        out = []
        for (b, t, v), counts in shapes:
            nsp_labels = torch.randint(0, 2, (b,), generator=gen)
            nsp_labels[0], nsp_labels[1] = 0, 1
            inputs = {"mlm_logits": logits(gen, b, t, v), "mlm_labels": token_labels(gen, b, t, v, counts),
                      "nsp_logits": logits(gen, b, 2), "nsp_labels": nsp_labels}
            name = f"{b} pairs, {t} positions, {v} words"
            out.append(Case(name, f"{name}: mlm_logits {(b, t, v)}, mlm_labels {(b, t)} with "
                            f"{', '.join(map(str, counts))} selected positions per row, nsp_logits "
                            f"{(b, 2)}, nsp_labels {(b,)}", inputs, {}, {"loss": randn(gen)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"loss": candidate(inputs["mlm_logits"], inputs["mlm_labels"], inputs["nsp_logits"],
                                  inputs["nsp_labels"])}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        return judge_values(self.name, got, expected, mistakes, case, hidden=hidden, tol=self.tolerance)
