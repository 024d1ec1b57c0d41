"""``FeedForward``: the position-wise feed-forward network linear2(act(linear1(x)))
(Vaswani et al. 2017, sec. 3.3)."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case
from .. import register
from ._common import LESSON, NamedParamsHarness, linear_params, randn


@register
class FeedForwardHarness(NamedParamsHarness):
    """``FeedForward(d_model, d_ff, dropout, activation)`` with ``linear1``, ``linear2``."""

    lesson = LESSON
    name = "FeedForward"
    title = "position-wise feed-forward: linear2(activation(linear1(x)))"
    grad_inputs = ("x",)
    # Measured (100 seeds): max abs error 7.4e-7 (outputs), 2.3e-6 (gradients); the worst
    # element uses 1/9 of the tolerance.
    tolerance = Tolerance(atol=1e-5, rtol=1e-5)
    structure = ("expected exactly linear1 = nn.Linear(d_model, d_ff) and "
                 "linear2 = nn.Linear(d_ff, d_model)")

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        sizes = [(3, 4, 8, 14, "relu"), (2, 6, 6, 9, "gelu")] if hidden else \
                [(2, 5, 6, 10, "relu"), (2, 3, 8, 12, "gelu")]
        out = []
        for b, t, e, f, act in sizes:
            inputs = {"x": randn(gen, b, t, e), **linear_params(gen, "linear1", e, f),
                      **linear_params(gen, "linear2", f, e)}
            init = {"d_model": e, "d_ff": f, "dropout": 0.1, "activation": act}
            out.append(Case(act, f"FeedForward(d_model={e}, d_ff={f}, dropout=0.1, "
                            f"activation='{act}'); x {(b, t, e)}", inputs, {"init": init},
                            {"out": randn(gen, b, t, e)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = self.build(candidate, case, inputs, inputs["x"].dtype)
        return {"out": module(inputs["x"])}
