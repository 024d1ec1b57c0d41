"""Lesson 07's ``dataset_nll`` harness: maximum likelihood over a dataset, four reductions
(sum, mean per sequence, mean per token, mean of per-sequence means).

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
from ._common import IGNORE_INDEX, LESSON, _ids, _lengths, _logits, _NamesErrors, _randn

REDUCTIONS = ("sum", "mean", "token_mean", "length_normalized")


@register
class DatasetNLLHarness(_NamesErrors, Harness):
    lesson = LESSON
    name = "dataset_nll"
    title = "negative log-likelihood of a batch of sequences, four reductions"
    grad_inputs = ("logits",)
    # Measured over 200 seeds (5 implementations, float32 against float64): max abs error
    # 1.6e-05 on the NLL (the "sum" reaches ~90), 4.1e-07 on the gradients; the worst element
    # uses 9.1% of this tolerance (an 11x margin).
    tolerance = Tolerance(atol=5e-6, rtol=2.5e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # One ragged batch (very different lengths, so every reduction gives another
        # number), judged once per reduction.
        b, t, v = (5, 9, 7) if hidden else (4, 7, 6)
        logits = _logits(gen, b, t, v)
        targets = _ids(gen, b, t, 0, v)
        targets[torch.arange(t)[None, :] >= _lengths(gen, b, t)[:, None]] = IGNORE_INDEX
        targets[0, 3] = IGNORE_INDEX  # an ignored position inside the longest sequence
        counts = (targets != IGNORE_INDEX).sum(1).tolist()
        shown = "ragged" if hidden else str(counts)
        out = []
        for reduction in REDUCTIONS:
            out.append(Case(f"reduction {reduction}",
                            f"logits {(b, t, v)}, targets {(b, t)} with -100 padding "
                            f"(tokens per sequence: {shown}), reduction={reduction!r}",
                            {"logits": logits, "targets": targets}, {"reduction": reduction},
                            {"nll": _randn(gen)}))
        out.append(self._other_ignore_index(gen, b, t, v, hidden))
        return out

    def _other_ignore_index(self, gen: torch.Generator, b: int, t: int, v: int,
                            hidden: bool) -> Case:
        """Appended after the four reductions (so their cases stay as they were): padding marked
        by an ignore_index in [0, V) instead of -100, which real targets never take."""
        ignore = int(torch.randint(0, v, (1,), generator=gen)) if hidden else 0
        logits = _logits(gen, b, t, v)
        targets = _ids(gen, b, t, 0, v)
        targets[targets == ignore] = (ignore + 1) % v
        targets[torch.arange(t)[None, :] >= _lengths(gen, b, t)[:, None]] = ignore
        targets[0, 2] = ignore
        return Case("another ignore_index", f"logits {(b, t, v)}, targets {(b, t)} padded with "
                    f"ignore_index={'an id in [0, V)' if hidden else ignore}, also once inside a "
                    "sequence, reduction='token_mean'", {"logits": logits, "targets": targets},
                    {"reduction": "token_mean", "ignore_index": ignore}, {"nll": _randn(gen)})

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        extra = {"ignore_index": case.args["ignore_index"]} if "ignore_index" in case.args else {}
        return {"nll": candidate(inputs["logits"], inputs["targets"], reduction=case.args["reduction"],
                                 **extra)}

    def general_hint(self, got: Mapping[str, Any], case: Case) -> str | None:
        nll = got.get("nll")
        if type(nll) is torch.Tensor and nll.is_floating_point() and bool((nll < -1e-6).any()):
            return "a negative log-likelihood is at least 0: it is MINUS the sum of log-probabilities."
        return None
