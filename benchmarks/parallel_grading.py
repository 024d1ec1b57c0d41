"""Parallel grading benchmark: the same N submissions graded by stock, sequential
``nbgrader autograde`` (nbgrader's default pipeline, no sandbox, one CLI run per
lesson) and by ``pretraining-lab autograde`` (the course's pipeline, sandbox on)
with 1 and with 2 workers, each on its own copy of one course. Prints wall time,
CPU time of the grading processes, submissions per minute and the ratios; asserts
nothing.

The N submissions are the sample submissions of :mod:`grader.samples` (correct,
empty, a catalogued mistake, a warning, an edited test, a monkeypatched checker) of
the chosen lessons, repeated under new student ids until there are N. The
``tampered_tests`` sample (a duplicated test cell) is left out: stock nbgrader 0.9.6
stops the WHOLE batch on it ("One or more notebooks in the assignment use an old
version"), so it would grade fewer submissions than ours.

    .venv/bin/python benchmarks/parallel_grading.py [--sizes 20 50] [--lessons 02_attention ...]
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

from grader.course import COURSE_ID, PROJECT_ROOT, Course, available_lessons
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


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its children)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        print(f"  ! {' '.join(cmd[:3])} exited {done.returncode}: {done.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--lessons", nargs="*", help="lessons (default: all in solutions/)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--dir", type=Path, default=PROJECT_ROOT / "build" / "bench-parallel")
    parser.add_argument("--no-stock", action="store_true", help="skip stock nbgrader")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    lessons = args.lessons or available_lessons()
    cli = str(Path(sys.executable).with_name("pretraining-lab"))
    nbgrader = str(Path(sys.executable).with_name("nbgrader"))
    print(f"lessons: {', '.join(lessons)}; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f}")
    base, _ = prepare(args.dir / "base", lessons, max_mistakes=1, out=print)
    rows = []
    for n in args.sizes:
        runs: list[tuple[str, Course]] = []
        if not args.no_stock:
            runs.append(("stock nbgrader autograde", Course(args.dir / f"n{n}-stock")))
        runs += [(f"ours, {w} worker{'s' if w > 1 else ''} (sandbox)", Course(args.dir / f"n{n}-w{w}"))
                 for w in args.workers]
        for label, course in runs:
            if course.root.exists():
                shutil.rmtree(course.root)
            shutil.copytree(base.root, course.root)
            pairs = replicate(course, n)
            if label.startswith("stock"):
                course.config_path.write_text(STOCK_CONFIG)
                wall = cpu = 0.0
                for lesson in sorted({lesson for _, lesson in pairs}):
                    w, c = timed([nbgrader, "autograde", lesson, "--create", "--force"], course.root)
                    wall, cpu = wall + w, cpu + c
            else:
                workers = label.split(",")[1].split()[0]
                wall, cpu = timed([cli, "autograde", "--course", str(course.root), "--workers",
                                   workers, "--no-progress", "-q"], course.root)
            graded = sum(1 for s, lesson in pairs
                         if (course.autograded / s / lesson / f"{lesson}.ipynb").is_file())
            rows.append((n, label, wall, cpu, graded))
            print(f"N={n:<3} {label:<34} wall {wall:7.1f} s  cpu {cpu:7.1f} s  "
                  f"{60 * n / wall:6.1f} submissions/min  ({graded}/{n} autograded)", flush=True)
            shutil.rmtree(course.root, ignore_errors=True)
    print("\n== summary ==")
    print(f"{'N':>3}  {'run':<34} {'wall s':>8} {'cpu s':>8} {'subs/min':>9} {'speed-up vs stock':>18}")
    for n in args.sizes:
        group = [r for r in rows if r[0] == n]
        stock = next((r for r in group if r[1].startswith("stock")), None)
        for _, label, wall, cpu, _graded in group:
            ratio = f"{stock[2] / wall:.2f}x" if stock else "-"
            print(f"{n:>3}  {label:<34} {wall:8.1f} {cpu:8.1f} {60 * n / wall:9.1f} {ratio:>18}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
