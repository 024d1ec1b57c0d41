"""Benchmark: reference ``EncoderLayer`` against ``torch.nn.TransformerEncoderLayer``.

Budget (docs/budgets.md): forward + backward of the reference layer within
1.5x of the torch layer on the same shapes. Both layers run in this process on
the same input with copied weights, in train mode with dropout, and their
repeats are interleaved (A, B, A, B, ...) after a warm-up so that slow drifts of
the machine (frequency scaling, other processes) hit both alike; the medians
are compared. Prints PASS or FAIL against the budget and always exits 0: it is
a measurement, not a test.

    .venv/bin/python benchmarks/encoder_layer.py [--repeats 30] [--threads N] [--mask]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

from reference.layers import EncoderLayer  # noqa: E402

BUDGET = 1.5
SHAPES = {"batch": 16, "length": 128, "d_model": 256, "num_heads": 4, "d_ff": 1024, "dropout": 0.1}


def build_pair() -> tuple[EncoderLayer, nn.TransformerEncoderLayer]:
    """A reference layer and a torch layer holding the same weights."""
    ours = EncoderLayer(SHAPES["d_model"], SHAPES["num_heads"], SHAPES["d_ff"], SHAPES["dropout"])
    theirs = nn.TransformerEncoderLayer(SHAPES["d_model"], SHAPES["num_heads"], SHAPES["d_ff"],
                                        SHAPES["dropout"], batch_first=True)
    attn = ours.self_attn
    with torch.no_grad():
        theirs.self_attn.in_proj_weight.copy_(
            torch.cat([attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight]))
        theirs.self_attn.in_proj_bias.copy_(torch.cat([attn.q_proj.bias, attn.k_proj.bias, attn.v_proj.bias]))
        theirs.self_attn.out_proj.load_state_dict(attn.out_proj.state_dict())
        theirs.linear1.load_state_dict(ours.ff.linear1.state_dict())
        theirs.linear2.load_state_dict(ours.ff.linear2.state_dict())
        theirs.norm1.load_state_dict(ours.norm1.state_dict())
        theirs.norm2.load_state_dict(ours.norm2.state_dict())
    return ours.train(), theirs.train()


def step(run, x: torch.Tensor, grad: torch.Tensor) -> float:
    """Seconds for one forward + backward (parameter and input gradients)."""
    start = time.perf_counter()
    run(x).backward(grad)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--mask", action="store_true", help="also pass a key padding mask")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ours, theirs = build_pair()
    x = torch.randn(SHAPES["batch"], SHAPES["length"], SHAPES["d_model"], requires_grad=True)
    grad = torch.randn_like(x)
    keep = torch.ones(SHAPES["batch"], SHAPES["length"], dtype=torch.bool)
    keep[:, -SHAPES["length"] // 4:] = False  # the last quarter is padding
    runs = {
        "reference": (lambda t: ours(t, keep[:, None, None, :])) if args.mask else ours,
        "torch": (lambda t: theirs(t, src_key_padding_mask=~keep)) if args.mask else theirs,
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for i in range(args.warmup + args.repeats):
        for name, run in runs.items():
            seconds = step(run, x, grad)
            if i >= args.warmup:
                times[name].append(seconds)
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    ratio = medians["reference"] / medians["torch"]
    print(f"shapes {SHAPES}, threads {torch.get_num_threads()}, mask {args.mask}, "
          f"repeats {args.repeats} (+{args.warmup} warm-up), torch {torch.__version__}")
    for name, median in medians.items():
        print(f"  {name:9s} median {median * 1e3:8.2f} ms  (forward + backward)")
    verdict = "PASS" if ratio <= BUDGET else "FAIL"
    print(f"ratio reference / torch = {ratio:.3f}  budget <= {BUDGET}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
