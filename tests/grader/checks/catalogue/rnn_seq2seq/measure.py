"""Measure lesson 01's tolerances: ``python -m tests.grader.checks.catalogue.rnn_seq2seq.measure
[seeds]`` prints, per exercise and output, the largest error of the float32 bank against the
float64 reference (absolute, and scaled by 1 + |expected|), the figure quoted beside each
tolerance in ``grader/labkit/exercises/rnn_seq2seq``."""

from __future__ import annotations

import sys

import torch

from ._common import max_errors
from .test_context_vector import CONTEXT_ALTERNATIVES
from .test_RNNDecoder import DECODER_ALTERNATIVES
from .test_RNNEncoder import ENCODER_ALTERNATIVES
from .test_teacher_forced_loss import LOSS_ALTERNATIVES

#: The banks of the exercises compared with a tolerance (floating-point outputs).
MEASURED = {"RNNEncoder": ENCODER_ALTERNATIVES, "context_vector": CONTEXT_ALTERNATIVES,
            "RNNDecoder": DECODER_ALTERNATIVES, "teacher_forced_loss": LOSS_ALTERNATIVES}


def main(seeds: int) -> None:
    """Print the table over ``range(seeds)``."""
    torch.set_num_threads(1)
    worst: dict[str, tuple[float, float]] = {}
    for name, bank in MEASURED.items():
        worst.update(max_errors(name, bank, range(seeds)))
    print(f"{'exercise/output':40s} {'max abs':>9s} {'scaled':>9s}")
    for key, (err, scaled) in sorted(worst.items()):
        print(f"{key:40s} {err:9.2e} {scaled:9.2e}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
