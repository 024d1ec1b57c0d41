"""``python -m tests.grader.checks.catalogue.transformer_decoder [seeds]``: the float32
error of each bank against the float64 reference over ``seeds`` hidden seeds (default
200), and the atol it needs given the harness's rtol: the figures quoted beside the
harnesses' tolerances."""

from __future__ import annotations

import sys

import torch

from grader.checks.registry import get

from . import test_DecoderLayer, test_next_token_probs
from ._common import exercise_id, max_errors

if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    torch.set_num_threads(1)
    for module in (test_DecoderLayer, test_next_token_probs):
        err, atol = max_errors(module.NAME, module.BANK, range(n))
        rtol = get(exercise_id(module.NAME)).harness.tolerance.rtol
        print(f"{module.NAME}: max abs error {err:.2g}; atol needed with rtol={rtol:g}: {atol:.2g}")
