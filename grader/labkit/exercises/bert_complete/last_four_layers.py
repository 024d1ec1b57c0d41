"""Lesson 10's ``last_four_layers`` harness: token features from the last four layers of an
encoder, concatenated (the paper's best feature-based NER, Devlin et al. 2019, table 7) or
summed. The encoder is a torch-only stand-in (:mod:`._toys`) with the provided ``Encoder``'s
layout: ``layers``, each called as ``layer(x, mask)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Mistake, Tolerance, Verdict
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, judge_values, pick, randn
from ._toys import ToyEncoder


@register
class LastFourLayersHarness(Harness):
    """``last_four_layers(encoder, x (B, T, E), mask (B, 1, 1, T), combine) -> (B, T, 4E)``
    for ``"concat"``, ``(B, T, E)`` for ``"sum"``."""

    lesson = LESSON
    name = "last_four_layers"
    title = "features from the last four layers"
    grad_inputs = ("x",)
    # Measured (_bank.py, 50 seeds, visible and hidden): max abs error 4.4e-06 (features)
    # and 1.6e-05 (gradients, summed over up to 7 layers); the worst element uses 0.13 of
    # this tolerance.
    tolerance = Tolerance(atol=3e-5, rtol=3e-5)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        plan = [("concat", pick(gen, 6, 7)), ("sum", pick(gen, 6, 7))] if hidden else [("concat", 6), ("sum", 7)]
        out = []
        for i, (combine, layers) in enumerate(plan):
            b, t, e = (pick(gen, 2, 3), pick(gen, 4, 6), pick(gen, 3, 5)) if hidden else (2 + i, 5, 4)
            mask = torch.ones(b, 1, 1, t, dtype=torch.bool)
            mask[1, ..., t - 2:] = False  # row 1 ends with two pads
            params = {}
            for k in range(layers):
                params[f"param:layers.{k}.w.weight"] = randn(gen, e, e, scale=e ** -0.5)
                params[f"param:layers.{k}.w.bias"] = randn(gen, e, scale=0.3)
                params[f"param:layers.{k}.u.weight"] = randn(gen, e, e, scale=e ** -0.5)
            width = 4 * e if combine == "concat" else e
            name = f"{i + 1}: {combine}, {layers} layers"
            describe = (f"{name}: x {(b, t, e)}, mask {(b, 1, 1, t)} (row 1 padded), an encoder of "
                        f"{layers} layers, combine={combine!r}")
            out.append(Case(name, describe, {"x": randn(gen, b, t, e), "mask": mask, **params},
                            {"combine": combine, "num_layers": layers}, {"features": randn(gen, b, t, width)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        x = inputs["x"]
        encoder = ToyEncoder(case.args["num_layers"], x.shape[-1]).to(x.dtype)
        params = {k[len("param:"):]: v for k, v in inputs.items() if k.startswith("param:")}
        encoder.load_state_dict(params, strict=True)
        encoder.requires_grad_(False)
        return {"features": candidate(encoder, x, inputs["mask"], case.args["combine"])}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        return judge_values(self.name, got, expected, mistakes, case, hidden=hidden, tol=self.tolerance)
