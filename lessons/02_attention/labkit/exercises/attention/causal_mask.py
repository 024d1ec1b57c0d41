"""Lesson 02, exercise ``causal_mask``: a (T, T) bool mask, True where query i may attend
key j <= i (Vaswani et al. 2017, sec. 3.2.3: the decoder's self-attention sees no later
position)."""

from __future__ import annotations

from typing import Any

import torch

from ...harness import Case, Harness
from .. import register
from ._common import LESSON, NamesFailures


@register
class CausalMaskHarness(NamesFailures, Harness):
    """``causal_mask(size) -> (size, size)`` bool, the lower triangle with the diagonal."""

    lesson = LESSON
    name = "causal_mask"
    title = "a (T, T) bool mask, True where query i may attend key j <= i"

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        size = int(torch.randint(6, 10, (1,), generator=gen)) if hidden else 5
        return [Case("size T", f"size={size}" if not hidden else "a size T > 5", {}, {"size": size}),
                Case("size 1", "size=1", {}, {"size": 1})]

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"mask": candidate(case.args["size"])}
