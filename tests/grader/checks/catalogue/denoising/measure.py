"""Measure lesson 06's margins: ``python -m tests.grader.checks.catalogue.denoising.measure``
prints the float tolerance of ``seq2seq_loss`` (float32 alternatives against the float64
reference, 300 seeds) and the false alarms of every corruption's statistical checks on its
bank of correct alternatives (100 seeds)."""

from __future__ import annotations

import torch

from grader.checks.engine import cases_for
from grader.checks.registry import get
from reference.denoising import seq2seq_loss

from . import (
    test_document_rotation,
    test_sentence_permutation,
    test_seq2seq_loss,
    test_span_corruption,
    test_text_infilling,
    test_token_deletion,
    test_token_masking,
)
from ._common import RANDOMISED, exercise_id

ALTERNATIVES = {m.NAME: m.ALTERNATIVES for m in (
    test_token_masking, test_token_deletion, test_text_infilling, test_sentence_permutation,
    test_document_rotation, test_span_corruption)}
LOSS_ALTERNATIVES = test_seq2seq_loss.ALTERNATIVES


def _measure(seeds: int = 300) -> None:
    ex = get(exercise_id("seq2seq_loss"))
    worst: dict[str, float] = {}
    rel = 0.0
    for seed in range(seeds):
        for hidden in (False, True):
            for case in cases_for(ex, hidden=hidden, seed=seed):
                expected = ex.harness.run(seq2seq_loss, case, torch.float64)
                for alt in LOSS_ALTERNATIVES:
                    got = ex.harness.run(alt, case)
                    for key, exp in expected.items():
                        err = float((got[key].double() - exp).abs().max())
                        worst[key] = max(worst.get(key, 0.0), err)
                        if key == "sum":
                            rel = max(rel, err / float(exp.abs()))
    print("seq2seq_loss max abs error, float32 vs float64:", {k: f"{v:.2g}" for k, v in worst.items()},
          f"relative on sum {rel:.2g}")
    for name in RANDOMISED:
        ex = get(exercise_id(name))
        failures = 0
        for seed in range(seeds // 3):
            for case in cases_for(ex, hidden=True, seed=1000 + seed):
                for alt in ALTERNATIVES[name]:
                    verdict = ex.harness.judge(ex.harness.run(alt, case), {}, [], case, hidden=True)
                    failures += not verdict.passed
                    if not verdict.passed:
                        print(name, alt.__name__, verdict.feedback)
        print(f"{name}: {failures} false alarms over {seeds // 3} seeds x {len(ALTERNATIVES[name])} "
              "alternatives")


if __name__ == "__main__":
    _measure()
