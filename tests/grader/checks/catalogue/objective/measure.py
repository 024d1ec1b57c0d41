"""Measure lesson 07's tolerances: ``python -m tests.grader.checks.catalogue.objective.measure
[seeds] [exercise ...]`` prints the largest error of each bank of correct float32
implementations against the float64 reference over many seeds (200 by default)."""

from __future__ import annotations

import sys

import torch

from grader.checks.registry import get

from . import test_causal_lm_loss, test_dataset_nll, test_sequence_log_prob, test_train_step
from ._common import measure_errors, xid

BANKS = {"sequence_log_prob": test_sequence_log_prob.BANK, "dataset_nll": test_dataset_nll.BANK,
         "causal_lm_loss": test_causal_lm_loss.BANK, "train_step": test_train_step.BANK}

if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    torch.set_num_threads(1)
    for exercise in sys.argv[2:] or BANKS:
        print(exercise, get(xid(exercise)).harness.tolerance, measure_errors(exercise, BANKS[exercise], range(n)))
