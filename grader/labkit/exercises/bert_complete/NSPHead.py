"""Lesson 10's ``NSPHead`` harness: the pooler (dense + tanh on ``[CLS]``) and the 2-way
next-sentence classifier (peers: Hugging Face ``BertPooler``, ``BertOnlyNSPHead``).

A class exercise: built with ``d_model``, the case's weights loaded by name, eval mode.
B differs from T, so reading the batch instead of the position shows as a shape; the
hidden states differ at every position, so reading another position shows in the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Mistake, Tolerance, Verdict
from ...harness import Case, ModuleHarness
from .. import register
from ._common import LESSON, judge_values, pick, randn


@register
class NSPHeadHarness(ModuleHarness):
    """``NSPHead(d_model)``; ``forward(hidden (B, T, E)) -> logits (B, 2)``."""

    lesson = LESSON
    name = "NSPHead"
    title = "the pooler and next-sentence classifier on [CLS]"
    grad_inputs = ("hidden",)
    parameters_rule = ("expected exactly two layers: pooler = nn.Linear(d_model, d_model) and "
                       "classifier = nn.Linear(d_model, 2)")
    # Measured (_bank.py, 50 seeds, visible and hidden): max abs error 5.6e-07 (logits) and
    # 1.5e-06 (gradients); the worst element uses 0.08 of this tolerance.
    tolerance = Tolerance(atol=1e-5, rtol=1e-5)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        sizes = [(pick(gen, 3, 5), pick(gen, 6, 9), pick(gen, 4, 8)), (pick(gen, 2, 3), pick(gen, 4, 5), 3)] \
            if hidden else [(3, 6, 8), (2, 5, 4)]
        out = []
        for i, (b, t, e) in enumerate(sizes):
            params = {"param:pooler.weight": randn(gen, e, e, scale=1.5 * e ** -0.5),
                      "param:pooler.bias": randn(gen, e, scale=0.3),
                      "param:classifier.weight": randn(gen, 2, e),
                      "param:classifier.bias": randn(gen, 2, scale=0.3)}
            x = randn(gen, b, t, e)
            name = f"{i + 1}: batch {b}, {t} positions, d_model {e}"
            out.append(Case(name, f"{name}: hidden {(b, t, e)}, [CLS] at position 0",
                            {"hidden": x, **params}, {"init": {"d_model": e}}, {"logits": randn(gen, b, 2)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = self.build(candidate, case, inputs, inputs["hidden"].dtype)
        return {"logits": module(inputs["hidden"])}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        return judge_values(self.name, got, expected, mistakes, case, hidden=hidden, tol=self.tolerance)
