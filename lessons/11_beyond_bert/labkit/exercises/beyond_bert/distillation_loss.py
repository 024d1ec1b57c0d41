"""Lesson 11's ``distillation_loss`` harness: the T^2-scaled KL divergence between the
softened teacher and student distributions, with the hard-label loss (Hinton et al. 2015)."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, _pick, _randn


@register
class DistillationLossHarness(Harness):
    """``distillation_loss(student_logits (N, V), teacher_logits (N, V), labels (N,),
    temperature, alpha) -> ()``."""

    lesson = LESSON
    name = "distillation_loss"
    title = "alpha * T^2 * KL(teacher || student) at temperature T + (1 - alpha) * CE"
    grad_inputs = ("student_logits",)
    # Measured (100 seeds, 4 implementations, float32 against float64): max abs error
    # 9.6e-06 on the loss (up to ~30; the cross-entropy-minus-entropy form loses digits),
    # 1.4e-07 on the gradients; the worst element uses 6.1% of this tolerance.
    tolerance = Tolerance(atol=3e-5, rtol=3e-5)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        n, v = (_pick(gen, 5, 8), _pick(gen, 6, 11)) if hidden else (6, 7)
        out = []
        for name, temp, alpha in (("T = 2, alpha = 0.5", 2.0, 0.5),
                                  ("other T and alpha", 4.0 if not hidden else float(_pick(gen, 3, 6)),
                                   0.8 if not hidden else 0.7)):
            inputs = {"student_logits": _randn(gen, n, v, scale=2.0),
                      "teacher_logits": _randn(gen, n, v, scale=3.0),
                      "labels": torch.randint(0, v, (n,), generator=gen)}
            out.append(Case(name, f"student_logits {(n, v)}, teacher_logits {(n, v)}, labels ({n},), "
                            f"temperature {temp}, alpha {alpha}", inputs,
                            {"temperature": temp, "alpha": alpha}, {"loss": _randn(gen)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"loss": candidate(inputs["student_logits"], inputs["teacher_logits"], inputs["labels"],
                                  temperature=case.args["temperature"], alpha=case.args["alpha"])}
