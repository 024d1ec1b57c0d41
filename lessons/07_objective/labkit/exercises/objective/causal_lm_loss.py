"""Lesson 07's ``causal_lm_loss`` harness: next-token prediction with the shift.

Tolerances were measured by the lesson's tests (``python -m
tests.grader.checks.catalogue.objective.measure``): the largest error of a bank of correct
float32 implementations against the float64 reference over 200 seeds, visible and hidden
cases, outputs and gradients. The tolerance is about ten times that figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, _ids, _lengths, _logits, _NamesErrors, _randn


@register
class CausalLMLossHarness(_NamesErrors, Harness):
    lesson = LESSON
    name = "causal_lm_loss"
    title = "next-token prediction: mean NLL of input_ids[:, t+1] under logits[:, t]"
    grad_inputs = ("logits",)
    # Measured over 200 seeds (7 implementations, float32 against float64): max abs error
    # 8.0e-07 on the loss (~3 to 5), 4.3e-08 on the gradients; the worst element uses 8.7% of
    # this tolerance (an 11x margin).
    tolerance = Tolerance(atol=2e-6, rtol=2e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t, v = (4, 8, 13) if hidden else (3, 6, 10)
        out = []

        def add(name: str, describe: str, ids: torch.Tensor, pad_id: int) -> None:
            out.append(Case(name, describe, {"logits": _logits(gen, b, t, v), "input_ids": ids},
                            {"pad_id": pad_id}, {"loss": _randn(gen)}))

        add("no padding", f"logits {(b, t, v)}, input_ids {(b, t)} without padding, pad_id=0",
            _ids(gen, b, t, 1, v), 0)
        ids = _ids(gen, b, t, 1, v)
        ids[torch.arange(t)[None, :] >= _lengths(gen, b, t)[:, None]] = 0
        add("right padding", f"logits {(b, t, v)}, input_ids {(b, t)} right-padded with pad_id=0 "
            "(rows of different lengths)", ids, 0)
        pad_id = int(torch.randint(1, v, (1,), generator=gen)) if hidden else 3
        ids = _ids(gen, b, t, 0, v)
        ids[ids == pad_id] = 0  # no real token has the pad id, and several have id 0
        ids[:, 1] = 0
        ids[torch.arange(t)[None, :] >= _lengths(gen, b, t)[:, None]] = pad_id
        add("pad_id other than 0", f"logits {(b, t, v)}, input_ids {(b, t)} right-padded with "
            f"pad_id={'an id other than 0' if hidden else pad_id}; real tokens with id 0", ids, pad_id)
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"loss": candidate(inputs["logits"], inputs["input_ids"], pad_id=case.args["pad_id"])}

    def general_hint(self, got: Mapping[str, Any], case: Case) -> str | None:
        loss = got.get("loss")
        if type(loss) is torch.Tensor and loss.is_floating_point() and bool((loss < -1e-6).any()):
            return "a negative log-likelihood is at least 0: it is MINUS the mean log-probability."
        return None
