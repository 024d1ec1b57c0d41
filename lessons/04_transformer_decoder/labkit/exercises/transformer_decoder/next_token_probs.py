"""``next_token_probs(decoder_states, weight, bias)``: the output projection and the
softmax over the vocabulary (Vaswani et al. 2017, sec. 3.4)."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, Diagnoses, randn


@register
class NextTokenProbsHarness(Diagnoses, Harness):
    """``next_token_probs(decoder_states (B, T, E), weight (V, E), bias (V,)) -> (B, T, V)``:
    softmax(states W^T + b) over the vocabulary."""

    lesson = LESSON
    name = "next_token_probs"
    title = "output projection and softmax over the vocabulary"
    grad_inputs = ("decoder_states", "weight", "bias")
    # Measured as for DecoderLayer: max abs error 8.7e-07 (probabilities and gradients);
    # with rtol=1e-4 the largest atol needed is 2.1e-07. About 10x margin:
    tolerance = Tolerance(atol=2e-6, rtol=1e-4)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # V != E and B != T, so a softmax over the wrong axis or a missing transpose shows.
        sizes = [(3, 5, 8, 13), (2, 1, 6, 9)] if hidden else [(2, 4, 6, 11), (3, 1, 5, 7)]
        out = []
        for b, t, e, v in sizes:
            states = randn(gen, b, t, e)
            weight, bias = randn(gen, v, e, scale=1.5 * e ** -0.5), randn(gen, v, scale=0.5)
            out.append(Case(f"T={t}", f"decoder_states {(b, t, e)}, weight {(v, e)}, bias {(v,)}",
                            {"decoder_states": states, "weight": weight, "bias": bias}, {},
                            {"probs": randn(gen, b, t, v)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"probs": candidate(inputs["decoder_states"], inputs["weight"], inputs["bias"])}
