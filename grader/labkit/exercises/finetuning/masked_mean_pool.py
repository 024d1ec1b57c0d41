"""Lesson 08's ``masked_mean_pool`` harness (the mean over real tokens, the pooled
alternative to ``[CLS]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, Mistake, Tolerance, Verdict, compare, error_verdict
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, _pick, _randn


@register
class MaskedMeanPoolHarness(Harness):
    """``masked_mean_pool(hidden (B, T, E), attention_mask (B, T) bool) -> (B, E)``."""

    lesson = LESSON
    name = "masked_mean_pool"
    title = "the mean of the hidden states over the real tokens"
    grad_inputs = ("hidden",)
    # Measured (100 seeds): max abs error 3.6e-07 (outputs) and 6.7e-08 (gradients); the
    # worst element uses 1/15 of this tolerance.
    tolerance = Tolerance(atol=3e-6, rtol=1e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        if hidden:
            sizes = [(_pick(gen, 3, 5), _pick(gen, 6, 9), _pick(gen, 3, 7)),
                     (_pick(gen, 2, 4), _pick(gen, 4, 7), _pick(gen, 2, 5))]
        else:
            sizes = [(3, 6, 5), (2, 4, 3)]
        out = []
        for i, (b, t, e) in enumerate(sizes):
            if i == 0:  # right padding, the middle row shortest
                lengths = torch.randint(1, t + 1, (b,), generator=gen)
                lengths[0], lengths[1] = t, 2
                mask = torch.arange(t)[None, :] < lengths[:, None]
                name = "right padding"
            else:  # any pattern of real tokens (position 0 always real)
                mask = torch.rand(b, t, generator=gen) < 0.6
                mask[:, 0] = True
                mask[0] = True
                name = "real tokens anywhere"
            # Padded positions hold values of their own (as an encoder's output does).
            x = _randn(gen, b, t, e) + 2.0
            out.append(Case(name, f"{name}: hidden {tuple(x.shape)}, attention_mask "
                            f"{tuple(mask.shape)} bool, True at real tokens",
                            {"hidden": x, "attention_mask": mask}, {},
                            {"pooled": _randn(gen, b, e)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"pooled": candidate(inputs["hidden"], inputs["attention_mask"])}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"{self.name} on {where} ({case.describe})"
        if ERROR_KEY in got:
            return error_verdict(str(got[ERROR_KEY]), context, mistakes)
        return compare(got, expected, context=context, mistakes=mistakes, tol=self.tolerance,
                       properties=lambda g: self.all_properties(g, case), hints=self.hints)
