"""Entry point of the training demos: ``make demo`` / ``pretraining-lab demo``.

Trains (a) a masked LM, (b) a denoising encoder-decoder and (c) a causal LM on
the course corpus (*Foundations of LLMs* ch. 1 and 2), prints held-out metrics
before and after training and a PASS/FAIL line per target of
:mod:`reference.demos.targets`, and returns 0 only when every target is met.
Seeded and deterministic. Also ``python -m reference.demo [--quick] [NAME ...]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import torch

from reference.data import load_corpus
from reference.demos import DEMOS
from reference.demos.common import DemoResult, Printer, Stopwatch, report

# The demos are timed for 2 CPU cores but run on one thread: at these sizes the
# work is many small ops, and two threads were measured 6-10x slower (wall) on
# a busy 2-core machine (threads spin-waiting for each other) for the same
# numbers. One thread leaves the second core to whatever else runs.
NUM_THREADS = 1


def run_demos(names: Sequence[str] | None = None, *, budget: str = "full", seed: int = 0,
              progress: bool = True, printer: Printer = print) -> list[DemoResult]:
    """Run the named demos (all by default) on one corpus; print and return their results."""
    names = list(DEMOS) if names is None else list(names)
    unknown = [n for n in names if n not in DEMOS]
    if unknown:
        raise ValueError(f"expected demo names from {list(DEMOS)}, got {unknown}")
    corpus = load_corpus(seed)
    printer(f"course corpus (seed {seed}): {len(corpus.sentences('train'))} train and "
            f"{len(corpus.sentences('heldout'))} held-out sentences, "
            f"vocabulary {corpus.tokenizer.vocab_size}; budget '{budget}'")
    results = []
    for name in names:
        module = DEMOS[name]
        printer(f"\n{module.TITLE}")
        result = module.run(budget, corpus=corpus, seed=seed, progress=progress)
        report(result, printer)
        results.append(result)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demos; 0 when every target is met, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m reference.demo", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"demos to run, from {list(DEMOS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="the reduced budget of the slow test")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args([] if argv is None else list(argv))
    unknown = [n for n in args.names if n not in DEMOS]
    if unknown:
        parser.error(f"expected demo names from {list(DEMOS)}, got {unknown}")
    torch.set_num_threads(NUM_THREADS)
    with Stopwatch() as watch:
        results = run_demos(args.names or None, budget="quick" if args.quick else "full",
                            progress=not args.no_progress)
    failed = [r.name for r in results if not r.passed]
    print(f"\n{len(results) - len(failed)}/{len(results)} demos met their targets "
          f"in {watch.seconds:.0f} s" + (f"; missed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
