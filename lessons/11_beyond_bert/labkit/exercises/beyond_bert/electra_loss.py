"""Lesson 11's ``electra_loss`` harness: the generator's MLM loss plus lambda times the
discriminator's binary cross-entropy over the real tokens (Clark et al. 2020, sec. 2)."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import IGNORE_INDEX, LESSON, _pick, _randn


@register
class ElectraLossHarness(Harness):
    """``electra_loss(generator_logits (B, T, V), mlm_labels (B, T), disc_logits (B, T),
    disc_labels (B, T), attention_mask (B, T), disc_weight) -> ()``."""

    lesson = LESSON
    name = "electra_loss"
    title = "ELECTRA's loss: MLM + disc_weight * BCE over the real tokens"
    grad_inputs = ("generator_logits", "disc_logits")
    # Measured (100 seeds, 4 implementations, float32 against float64): max abs error
    # 1.6e-05 on the loss (tens to hundreds: disc_weight 50), 8.8e-07 on the gradients; the
    # worst element uses 1.9% of this tolerance.
    tolerance = Tolerance(atol=2e-5, rtol=1e-5)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t, v = (4, 9, 11) if hidden else (3, 8, 10)
        out = []
        for name, weight in (("disc_weight 50", 50.0), ("another disc_weight", float(_pick(gen, 2, 9)))):
            lengths = torch.tensor([t] + [_pick(gen, 4, t - 1) for _ in range(b - 1)])
            real = torch.arange(t)[None, :] < lengths[:, None]  # (B, T)
            masked = (torch.rand(b, t, generator=gen) < 0.3) & real
            masked[:, 1] = True
            labels = torch.randint(0, v, (b, t), generator=gen).masked_fill(~masked, IGNORE_INDEX)
            # Replaced tokens among the masked ones only; a few masked ones kept (label 0).
            disc = (masked & (torch.rand(b, t, generator=gen) < 0.7)).long()
            inputs = {"generator_logits": _randn(gen, b, t, v, scale=1.5) + _randn(gen, b, t, 1, scale=2.0),
                      "mlm_labels": labels, "disc_logits": _randn(gen, b, t, scale=2.0) + 0.5,
                      "disc_labels": disc, "attention_mask": real}
            out.append(Case(name, f"{name}: generator_logits {(b, t, v)}, mlm_labels {(b, t)} (-100 "
                            f"where not masked), disc_logits {(b, t)}, disc_labels {(b, t)} (1 = "
                            f"replaced), attention_mask {(b, t)} bool, rows of different lengths",
                            inputs, {"disc_weight": weight}, {"loss": _randn(gen)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"loss": candidate(inputs["generator_logits"], inputs["mlm_labels"], inputs["disc_logits"],
                                  inputs["disc_labels"], inputs["attention_mask"],
                                  disc_weight=case.args["disc_weight"])}
