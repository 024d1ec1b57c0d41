"""``python -m tests.grader.checks.catalogue.transformer_encoder [seeds]``: the float32
error of each bank against the float64 reference over ``seeds`` hidden seeds (default
200), the figures quoted beside the harnesses' tolerances."""

from __future__ import annotations

import sys

import torch

from grader.checks.registry import get

from . import (
    test_Encoder,
    test_EncoderLayer,
    test_FeedForward,
    test_sinusoidal_positional_encoding,
    test_sublayer_connection,
    test_TransformerEmbedding,
)
from ._common import measure_errors, xid

if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    torch.set_num_threads(1)
    for module in (test_sinusoidal_positional_encoding, test_TransformerEmbedding, test_FeedForward,
                   test_sublayer_connection, test_EncoderLayer, test_Encoder):
        print(module.NAME, get(xid(module.NAME)).harness.tolerance,
              measure_errors(module.NAME, module.BANK, range(n)), flush=True)
