"""Lesson 09's ``perplexity`` harness: exp of the mean negative log-likelihood per real
target token, over the whole batch, with ``ignore_index`` positions left out.

Cases: rows of different lengths padded with -100 (so a mean per sequence, or counting
the padding, shows), an ``ignore_index`` other than -100, and logits far from uniform.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Problem, Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, _pick, _randn

#: The hint of exp_of_sum, which the harness also finds by itself: in float32, exp of a
#: summed NLL overflows to inf.
EXP_OF_SUM_HINT = ("divide the summed NLL by the number of real tokens before taking exp: "
                   "perplexity is per token, and exp of the sum (1 / Pr(whole set)) is huge, "
                   "often infinite in float32.")


def _targets(gen: torch.Generator, b: int, t: int, v: int, ignore: int) -> torch.Tensor:
    """Ids in [0, V) (never ``ignore``), each row padded with ``ignore`` after its length;
    row 0 is full, the last row the shortest."""
    ids = torch.randint(0, v, (b, t), generator=gen)
    if 0 <= ignore < v:
        ids[ids == ignore] = (ignore + 1) % v
    lengths = torch.randint(2, t, (b,), generator=gen)
    lengths[0], lengths[-1] = t, 2
    ids[torch.arange(t)[None, :] >= lengths[:, None]] = ignore
    return ids


@register
class PerplexityHarness(Harness):
    lesson = LESSON
    name = "perplexity"
    title = "exp(mean NLL per real target token)"
    # Perplexities of about 3 to 60; measured over 40 seeds (the bank's 3 float32
    # implementations against the float64 reference): max abs error 3.9e-05, 1.2% of this
    # tolerance at the worst case.
    tolerance = Tolerance(atol=1e-5, rtol=5e-5)
    hints = {"exp_of_sum": EXP_OF_SUM_HINT}

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t, v = (_pick(gen, 3, 5), _pick(gen, 5, 8), _pick(gen, 9, 14)) if hidden else (3, 6, 10)
        other = _pick(gen, 0, v - 1) if hidden else 0
        plans = [("padded rows", -100, f"logits {(b, t, v)}, targets {(b, t)}: rows of "
                  "different lengths, padded with -100"),
                 ("another ignore_index", other, f"logits {(b, t, v)}, targets {(b, t)} padded "
                  f"with ignore_index={'an id in [0, V)' if hidden else other}")]
        out = []
        for name, ignore, describe in plans:
            logits = _randn(gen, b, t, v, scale=1.5) + _randn(gen, b, t, 1, scale=2.0)
            args = {} if ignore == -100 else {"ignore_index": ignore}
            out.append(Case(name, describe, {"logits": logits,
                                             "targets": _targets(gen, b, t, v, ignore)}, args))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        ppl = candidate(inputs["logits"], inputs["targets"], **case.args)
        if isinstance(ppl, (int, float)) and not isinstance(ppl, bool):
            ppl = torch.tensor(float(ppl), dtype=inputs["logits"].dtype)
        return {"perplexity": ppl}

    def properties(self, got: Mapping[str, Any], case: Case) -> list[Problem]:
        ppl = got.get("perplexity")
        if type(ppl) is torch.Tensor and ppl.is_floating_point() and bool(torch.isinf(ppl).any()):
            return [Problem("the perplexity is infinite", "exp_of_sum")]
        return []
