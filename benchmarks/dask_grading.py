"""Dask grading benchmark: the same N submissions graded by ``pretraining-lab autograde``
with W local worker processes, with ``--scheduler local --workers W`` (a Dask LocalCluster
started by the command, its start-up included), and through a Dask scheduler and W
``dask worker`` processes started beforehand (a cluster already running, as on a
shared machine), each on its own copy of one course. Prints wall time, the machine's
busy CPU seconds over the run, submissions per minute and the ratio to local workers,
and whether the three runs gave the same scores; asserts nothing.

The submissions are the sample submissions of the chosen lessons repeated under new
student ids (:func:`parallel_grading.replicate`).

    .venv/bin/python benchmarks/dask_grading.py [--sizes 12] [--workers 2] [--lessons 02_attention]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

from parallel_grading import replicate, scores, timed

from grader.course.directory import Course
from grader.course.paths import PROJECT_ROOT
from grader.demo import prepare


@contextlib.contextmanager
def dask_cluster(workers: int, logs: Path) -> Iterator[str]:
    """A ``dask scheduler`` and ``workers`` one-thread ``dask worker`` processes on
    localhost, ready; the scheduler's address."""
    from distributed import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    logs.mkdir(parents=True, exist_ok=True)
    procs = []
    cmds = [["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"]]
    cmds += [["distributed.cli.dask_worker", address, "--nthreads", "1", "--no-dashboard",
              "--memory-limit", "0"] for _ in range(workers)]
    for i, cmd in enumerate(cmds):
        with open(logs / f"dask-{i}.log", "w") as fh:
            procs.append(subprocess.Popen([sys.executable, "-m", *cmd], stdout=fh,
                                          stderr=subprocess.STDOUT))
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=180)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait()


def grade(course: Course, workers: int, scheduler: str | None) -> tuple[float, float]:
    """``pretraining-lab autograde`` on ``course``: (wall seconds, busy CPU seconds)."""
    cli = str(Path(sys.executable).with_name("pretraining-lab"))
    cmd = [cli, "autograde", "--course", str(course.root), "--workers", str(workers),
           "--no-progress", "-q"]
    return timed(cmd + (["--scheduler", scheduler] if scheduler else []), course.root)


def measure(base: Course, n: int, workers: int, label: str, root: Path,
            scheduler: str | None) -> tuple[float, dict]:
    """Copy ``base``, replicate its samples to ``n``, grade them, print the row; the wall
    time and the scores."""
    course = Course(root / f"n{n}-{label.split()[0]}")
    if course.root.exists():
        shutil.rmtree(course.root)
    shutil.copytree(base.root, course.root)
    pairs = replicate(course, n)
    wall, cpu = grade(course, workers, scheduler)
    graded = sum(1 for s, lesson in pairs
                 if (course.autograded / s / lesson / f"{lesson}.ipynb").is_file())
    got = scores(course)
    print(f"N={n:<3} {label:<46} wall {wall:7.1f} s  busy cpu {cpu:7.1f} s  "
          f"{60 * n / wall:6.1f} submissions/min  ({graded}/{n} autograded)", flush=True)
    shutil.rmtree(course.root, ignore_errors=True)
    return wall, got


def main(argv: list[str] | None = None) -> int:
    """Prepare the samples once; per size, grade them locally, on a local Dask cluster and
    on a running scheduler with workers; print the rows and a summary."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[12])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lessons", nargs="*", default=["02_attention"])
    parser.add_argument("--dir", type=Path, default=PROJECT_ROOT / "build" / "bench-dask")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    w = args.workers
    print(f"lessons: {', '.join(args.lessons)}; {w} workers; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f}")
    base, _ = prepare(args.dir / "base", args.lessons, max_mistakes=1, out=print)
    for n in args.sizes:
        local, want = measure(base, n, w, f"local {w} worker processes", args.dir, None)
        rows = [("local", local, True)]
        wall, got = measure(base, n, w, "dask --scheduler local (cluster start incl.)",
                            args.dir, "local")
        rows.append(("dask local", wall, got == want))
        t = time.perf_counter()
        with dask_cluster(w, args.dir / "logs") as address:
            started = time.perf_counter() - t
            wall, got = measure(base, n, w, "dask scheduler + workers, already up",
                                args.dir, address)
        rows.append((f"dask running (+{started:.1f} s to start it)", wall, got == want))
        print(f"-- N={n}: " + "; ".join(f"{label} {wall:.1f} s ({local / wall:.2f}x local, "
                                          f"{'same' if same else 'DIFFERENT'} scores)"
                                          for label, wall, same in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
