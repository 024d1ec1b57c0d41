"""Line counts of the tracked tree: total, generated (``lessons/``, marked
``linguist-generated`` in .gitattributes) and per top-level package or folder, text
files only (``*.pt`` checkpoints and fixtures are binary). Prints figures, asserts
nothing.

    .venv/bin/python benchmarks/tree_lines.py [--ref HEAD]
"""

from __future__ import annotations

import argparse
import subprocess
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ("lessons/",)
BINARY = (".pt", ".png", ".zip")


def line_counts(ref: str) -> Counter[str]:
    """Lines per folder (``grader/<package>`` one level deeper) at git ``ref``."""
    files = subprocess.run(["git", "ls-tree", "-r", "--name-only", ref], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    counts: Counter[str] = Counter()
    for name in files:
        if name.endswith(BINARY):
            continue
        blob = subprocess.run(["git", "show", f"{ref}:{name}"], cwd=ROOT, capture_output=True,
                              check=True).stdout
        parts = name.split("/")
        key = "/".join(parts[:2]) if parts[0] in ("grader", "tests") and len(parts) > 2 else parts[0]
        counts[key] += blob.count(b"\n")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref", default="HEAD", help="the commit to count (default HEAD)")
    args = parser.parse_args(argv)
    counts = line_counts(args.ref)
    total = sum(counts.values())
    generated = sum(n for k, n in counts.items() if k.startswith(tuple(g.rstrip("/") for g in GENERATED)))
    print(f"{args.ref}: {total} lines tracked, {generated} generated "
          f"({100 * generated / total:.1f}%)")
    for key, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {key:<28} {n:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
