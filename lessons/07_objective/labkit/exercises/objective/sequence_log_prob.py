"""Lesson 07's ``sequence_log_prob`` harness: the chain rule, log p(y) = sum_t log p(y_t | y_<t).

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


@register
class SequenceLogProbHarness(_NamesErrors, Harness):
    lesson = LESSON
    name = "sequence_log_prob"
    title = "log p(y) = sum_t log p(y_t | y_<t) for each sequence: (B,)"
    grad_inputs = ("logits",)
    # Measured over 200 seeds (9 float32 implementations against the float64 reference):
    # max abs error 4.2e-06 on log p(y) (|log p| up to ~35), 1.3e-06 on the gradients; the
    # worst element uses 10.2% of this tolerance (a 10x margin).
    tolerance = Tolerance(atol=7e-6, rtol=3e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t, v = (4, 7, 11) if hidden else (3, 5, 7)
        out = []

        def add(name: str, describe: str, targets: torch.Tensor, ignore_index: int) -> None:
            logits = _logits(gen, b, t, v)
            args = {} if ignore_index == IGNORE_INDEX else {"ignore_index": ignore_index}
            out.append(Case(name, describe, {"logits": logits, "targets": targets}, args,
                            {"log_prob": _randn(gen, b)}))

        add("every position counts", f"logits {(b, t, v)}, targets {(b, t)}, no ignored position",
            _ids(gen, b, t, 0, v), IGNORE_INDEX)
        targets = _ids(gen, b, t, 0, v)
        targets[torch.arange(t)[None, :] >= _lengths(gen, b, t)[:, None]] = IGNORE_INDEX
        targets[1, 1] = IGNORE_INDEX  # an ignored position in the middle of a row
        add("-100 at the end and in the middle", f"logits {(b, t, v)}, targets {(b, t)} with "
            "-100 after each sequence's end and once inside a sequence", targets, IGNORE_INDEX)
        ignore = int(torch.randint(0, v, (1,), generator=gen)) if hidden else 0
        targets = _ids(gen, b, t, 0, v)
        targets[targets == ignore] = (ignore + 1) % v
        targets[torch.arange(t)[None, :] >= _lengths(gen, b, t)[:, None]] = ignore
        targets[0, 2] = ignore
        add("another ignore_index", f"logits {(b, t, v)}, targets {(b, t)}, "
            f"ignore_index={'an id in [0, V)' if hidden else ignore} at the end of rows and inside "
            "one", targets, ignore)
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"log_prob": candidate(inputs["logits"], inputs["targets"], **case.args)}

    def general_hint(self, got: Mapping[str, Any], case: Case) -> str | None:
        lp = got.get("log_prob")
        if type(lp) is torch.Tensor and lp.is_floating_point() and bool((lp > 1e-6).any()):
            return ("a log-probability is at most 0 (a probability is at most 1): "
                    "take log_softmax over the vocabulary before picking the targets' entries.")
        return None
