"""Parallel grading benchmark: the same N submissions graded by stock, sequential
``nbgrader autograde`` (nbgrader's default pipeline, no sandbox, one CLI run per
lesson) and by ``pretraining-lab autograde`` (the course's pipeline, sandbox on)
with 1 and with 2 workers, each on its own copy of one course. Prints wall time,
the machine's busy CPU seconds over the run (from /proc/stat: every process,
sandboxed kernels included, and whatever else runs), submissions per minute and the
ratios; asserts nothing.

Where the speed-up comes from is shown by one more run, "every cell run": ours with 2
workers and ``SkipDisplayCells.enabled = False``, so the kernels also run the
display-only cells (plots, widgets, demo training) that stock nbgrader runs and our
pipeline leaves out. One more, "cold kernels": ours with 2 workers and ``Sandbox.warm_kernels = False``, so
every kernel is a new process in a new sandbox (as before warm kernels,
:mod:`grader.autograde.warm`): the before and after of that change, side by side.
Our runs' scores are compared with each other at the end (they
must be identical; stock nbgrader's differ by design: no hidden verdicts).

The N submissions are the sample submissions of :mod:`grader.course.samples` (correct,
empty, a catalogued mistake, a warning, an edited test, a monkeypatched checker) of
the chosen lessons, repeated under new student ids until there are N. The
``tampered_tests`` sample (a duplicated test cell) is left out: stock nbgrader 0.9.6
stops the WHOLE batch on it ("One or more notebooks in the assignment use an old
version"), so it would grade fewer submissions than ours.

    .venv/bin/python benchmarks/parallel_grading.py [--sizes 20 50] [--lessons 02_attention ...]

With no --lessons, the submissions cycle through the samples of every lesson.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import NamedTuple

from nbgrader.api import Gradebook

from grader.course.directory import Course
from grader.course.lessons import available_lessons
from grader.course.paths import COURSE_ID, PROJECT_ROOT
from grader.demo import prepare

STOCK_CONFIG = f"""c = get_config()
c.CourseDirectory.course_id = "{COURSE_ID}"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            ".lab_evidence", ".lab_seed.json"]
"""


#: Sample kinds on which stock nbgrader aborts the rest of its batch.
STOCK_ABORTS = ("tampered_tests",)


def replicate(course: Course, n: int) -> list[tuple[str, str]]:
    """Copy the imported samples under new student ids until there are ``n``
    submissions (the originals are removed); the (student, lesson) pairs."""
    originals = [(s, lesson) for s, lesson in course.submissions()
                 if not s.startswith(STOCK_ABORTS)]
    if not originals:
        raise SystemExit("no sample submissions")
    staged = course.root / ".originals"
    shutil.move(str(course.submitted), str(staged))
    course.submitted.mkdir()
    pairs = []
    for i in range(n):
        student, lesson = originals[i % len(originals)]
        new = f"s{i:03d}-{student}"[:90]
        shutil.copytree(staged / student / lesson, course.submitted / new / lesson)
        pairs.append((new, lesson))
    shutil.rmtree(staged)
    return pairs


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (not idle or waiting on I/O) since
    boot; falls back to this process's children where /proc/stat is missing. Killed
    sandboxes are never waited for by their parents, so only the machine-wide figure
    counts every kernel."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
        return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, busy CPU seconds of the machine while it ran)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    before = busy_seconds()
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    cpu = busy_seconds() - before
    if done.returncode not in (0, 1):
        print(f"  ! {' '.join(cmd[:3])} exited {done.returncode}: {done.stderr[-500:]}")
    return wall, cpu


def scores(course: Course) -> dict[tuple[str, str], float]:
    """(student, lesson) -> total score in the course's gradebook."""
    with Gradebook(course.db_url, COURSE_ID) as gb:
        return {(sub.student.id, sub.assignment.name): round(float(sub.score), 6)
                for assignment in gb.assignments for sub in assignment.submissions}


class Run(NamedTuple):
    """One grading run of one size: which grader, on which copy of the course."""

    n: int
    label: str
    course: Course

    @property
    def stock(self) -> bool:
        """Whether it is stock nbgrader's run."""
        return self.label.startswith("stock")


class Row(NamedTuple):
    """What one run measured."""

    n: int
    label: str
    wall: float
    cpu: float
    graded: int


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--lessons", nargs="*", help="lessons (default: all in solutions/)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--dir", type=Path, default=PROJECT_ROOT / "build" / "bench-parallel")
    parser.add_argument("--no-stock", action="store_true", help="skip stock nbgrader")
    parser.add_argument("--no-every-cell", action="store_true",
                        help="skip the run of ours with display-only cells run too")
    parser.add_argument("--no-cold", action="store_true",
                        help="skip the run of ours with cold kernels (no warm slot)")
    return parser.parse_args(argv)


def runs_of_size(n: int, args: argparse.Namespace) -> list[Run]:
    """The runs for ``n`` submissions: stock nbgrader, ours with each worker count, and
    ours with every cell run (unless left out by the options)."""
    runs: list[Run] = []
    if not args.no_stock:
        runs.append(Run(n, "stock nbgrader autograde", Course(args.dir / f"n{n}-stock")))
    runs += [Run(n, f"ours, {w} worker{'s' if w > 1 else ''} (sandbox)",
                 Course(args.dir / f"n{n}-w{w}")) for w in args.workers]
    w = max(args.workers)
    if not args.no_every_cell:
        runs.append(Run(n, f"ours, {w} workers, every cell run",
                        Course(args.dir / f"n{n}-w{w}-all")))
    if not args.no_cold:
        runs.append(Run(n, f"ours, {w} workers, cold kernels",
                        Course(args.dir / f"n{n}-w{w}-cold")))
    return runs


def grade(run: Run, pairs: list[tuple[str, str]]) -> tuple[float, float]:
    """Grade the run's course with its grader: (wall seconds, busy CPU seconds)."""
    course = run.course
    if run.stock:
        course.config_path.write_text(STOCK_CONFIG)
        nbgrader = str(Path(sys.executable).with_name("nbgrader"))
        wall = cpu = 0.0
        for lesson in sorted({lesson for _, lesson in pairs}):
            w, c = timed([nbgrader, "autograde", lesson, "--create", "--force"], course.root)
            wall, cpu = wall + w, cpu + c
        return wall, cpu
    if "every cell" in run.label:
        with course.config_path.open("a") as fh:
            fh.write("\nc.SkipDisplayCells.enabled = False\n")
    if "cold kernels" in run.label:
        with course.config_path.open("a") as fh:
            fh.write("\nc.Sandbox.warm_kernels = False\n")
    workers = run.label.split(",")[1].split()[0]
    cli = str(Path(sys.executable).with_name("pretraining-lab"))
    return timed([cli, "autograde", "--course", str(course.root), "--workers", workers,
                  "--no-progress", "-q"], course.root)


def measure(run: Run, base: Course) -> tuple[Row, dict[tuple[str, str], float] | None]:
    """Copy ``base``, replicate its samples, grade them, and remove the copy: the row
    and, for our runs, the scores."""
    course, n = run.course, run.n
    if course.root.exists():
        shutil.rmtree(course.root)
    shutil.copytree(base.root, course.root)
    pairs = replicate(course, n)
    wall, cpu = grade(run, pairs)
    graded = sum(1 for s, lesson in pairs
                 if (course.autograded / s / lesson / f"{lesson}.ipynb").is_file())
    got = None if run.stock else scores(course)
    print(f"N={n:<3} {run.label:<34} wall {wall:7.1f} s  busy cpu {cpu:7.1f} s  "
          f"{60 * n / wall:6.1f} submissions/min  ({graded}/{n} autograded)", flush=True)
    shutil.rmtree(course.root, ignore_errors=True)
    return Row(n, run.label, wall, cpu, graded), got


def print_summary(sizes: list[int], rows: list[Row],
                  graded_scores: dict[tuple[int, str], dict]) -> None:
    """The table of all runs with the speed-up over stock, and whether our runs agree."""
    print("\n== summary ==")
    print(f"{'N':>3}  {'run':<34} {'wall s':>8} {'busy cpu s':>10} {'subs/min':>9} "
          f"{'speed-up vs stock':>18}")
    for n in sizes:
        group = [r for r in rows if r.n == n]
        stock = next((r for r in group if r.label.startswith("stock")), None)
        for _, label, wall, cpu, _graded in group:
            ratio = f"{stock.wall / wall:.2f}x" if stock else "-"
            print(f"{n:>3}  {label:<34} {wall:8.1f} {cpu:10.1f} {60 * n / wall:9.1f} {ratio:>18}")
        ours = [v for (size, _), v in graded_scores.items() if size == n]
        if len(ours) > 1:
            same = all(v == ours[0] for v in ours[1:])
            print(f"     our {len(ours)} runs gave {'the same' if same else 'DIFFERENT'} scores "
                  f"for all {len(ours[0])} submissions")


def main(argv: list[str] | None = None) -> int:
    """Prepare the samples once, grade them with every run of every size, print the
    summary."""
    args = parse_args(argv)
    warnings.filterwarnings("ignore")
    lessons = args.lessons or available_lessons()
    print(f"lessons: {', '.join(lessons)}; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f}")
    base, _ = prepare(args.dir / "base", lessons, max_mistakes=1, out=print)
    rows: list[Row] = []
    graded_scores: dict[tuple[int, str], dict] = {}
    for n in args.sizes:
        for run in runs_of_size(n, args):
            row, got = measure(run, base)
            rows.append(row)
            if got is not None:
                graded_scores[(n, run.label)] = got
    print_summary(args.sizes, rows, graded_scores)
    return 0


if __name__ == "__main__":
    sys.exit(main())
