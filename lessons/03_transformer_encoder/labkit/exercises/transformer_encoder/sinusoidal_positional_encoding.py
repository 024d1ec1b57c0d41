"""``sinusoidal_positional_encoding(max_len, d_model) -> (max_len, d_model)``: the fixed
sinusoid of Vaswani et al. 2017, sec. 3.5."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, Diagnoses, pick


@register
class SinusoidalPositionalEncodingHarness(Diagnoses, Harness):
    """``sinusoidal_positional_encoding(max_len, d_model) -> (max_len, d_model)``."""

    lesson = LESSON
    name = "sinusoidal_positional_encoding"
    title = "the fixed sinusoidal position table: sin on even dims, cos on odd dims"
    # Measured (100 seeds, visible and hidden): max abs error 3.3e-6 (float32 tables; the
    # angle of position 80 carries float32 rounding). About 10x margin.
    tolerance = Tolerance(atol=3e-5, rtol=0.0)
    hints = {
        "odd_d_model_fails": "d_model may be odd: there are ceil(d_model / 2) sine columns "
        "(0, 2, 4, ...) but only d_model // 2 cosine columns (1, 3, ...), so take the angles "
        "of the first d_model // 2 frequencies for the cosines.",
    }

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        if hidden:
            sizes = [(pick(gen, 8, 14), 2 * pick(gen, 3, 6)), (pick(gen, 4, 9), 2 * pick(gen, 2, 5) + 1),
                     (pick(gen, 48, 80), 2 * pick(gen, 6, 12))]
        else:
            sizes = [(10, 8), (6, 7), (64, 16)]
        names = ("small table", "odd d_model", "long table")
        return [Case(n, f"max_len={L}, d_model={d}", {}, {"max_len": L, "d_model": d})
                for n, (L, d) in zip(names, sizes, strict=True)]

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"pe": candidate(case.args["max_len"], case.args["d_model"])}

    def error_mistake(self, error: str, case: Case) -> str | None:
        # Any crash on the odd case (the even ones come first) is the missing cosine column.
        if case.args["d_model"] % 2 == 1 and not error.startswith("NotImplementedError"):
            return "odd_d_model_fails"
        return None
