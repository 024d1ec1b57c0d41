"""Lesson 05's ``MLMHead`` harness (BERT's prediction head: dense, GELU, LayerNorm,
projection to the vocabulary; Devlin et al. 2019, peer Hugging Face ``BertLMPredictionHead``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, GRAD_PREFIX, Mistake, Tolerance, Verdict, compare
from ...harness import Case, ModuleHarness
from .. import register
from ._common import LESSON


@register
class MLMHeadHarness(ModuleHarness):
    """``MLMHead(d_model, vocab_size)`` with sub-modules ``dense`` (d_model -> d_model),
    ``norm`` (LayerNorm) and ``proj`` (d_model -> vocab_size): proj(norm(gelu(dense(h))))."""

    lesson = LESSON
    name = "MLMHead"
    title = "BERT's prediction head: dense, GELU, LayerNorm, projection to the vocabulary"
    grad_inputs = ("hidden",)
    # Measured: float32 alternatives against the float64 reference, 300 seeds: max abs error
    # 4.6e-6 on the logits and 3.1e-5 on the gradients (dense.weight, entries up to 44);
    # this tolerance is 13x the worst, and the tanh-approximated GELU (original BERT's
    # choice, catalogued as a departure from the course's exact-GELU spec) still lies at
    # least 1.8x the tolerance away (200 seeds).
    tolerance = Tolerance(atol=1e-4, rtol=2e-5)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        sizes = [(3, 4, 12, 17)] if hidden else [(2, 3, 8, 11)]
        out = []
        for b, t, e, v in sizes:
            def randn(*shape: int, scale: float = 1.0) -> torch.Tensor:
                return scale * torch.randn(*shape, generator=gen, dtype=torch.float64)
            params = {"dense.weight": randn(e, e, scale=e**-0.5), "dense.bias": randn(e, scale=0.3),
                      "norm.weight": 1 + randn(e, scale=0.2), "norm.bias": randn(e, scale=0.2),
                      "proj.weight": randn(v, e, scale=e**-0.5), "proj.bias": randn(v, scale=0.2)}
            inputs = {"hidden": randn(b, t, e), **{f"param:{k}": p for k, p in params.items()}}
            out.append(Case(f"d_model {e}, vocab {v}", f"hidden states {(b, t, e)}, MLMHead(d_model={e}, "
                            f"vocab_size={v})", inputs, {"init": {"d_model": e, "vocab_size": v}},
                            {"logits": randn(b, t, v)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = self.build(candidate, case, inputs, inputs["hidden"].dtype)
        return {"logits": module(inputs["hidden"])}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        # A sub-module that forward never uses gets no gradient; the wrong logits say more
        # (and name the mistake), so compare the values first in that case.
        unused = [k for k in expected if k.startswith(GRAD_PREFIX) and got.get(k) is None]
        if unused and ERROR_KEY not in got:
            values = {k: v for k, v in expected.items() if not k.startswith(GRAD_PREFIX)}
            where = "a hidden case" if hidden else f"case '{case.name}'"
            verdict = compare(got, values, context=f"{self.name} on {where} ({case.describe})",
                              mistakes=mistakes, tol=self.tolerance)
            if not verdict.passed:
                return verdict
        return super().judge(got, expected, mistakes, case, hidden=hidden)
