"""Grading benchmark (docs/budgets.md): prints figures, asserts nothing.

1. the latency of every visible check cell (``labkit.check`` on a correct answer,
   run as in a student's kernel: the released lesson folder on ``sys.path``), budget 1 s;
2. each lesson's solution notebook autograded as a submission (sanitize, kernel
   start, every cell, verdicts, gradebook), budget 30 s;
3. the wall time to autograde N sample submissions with the course's pipeline and
   with stock ``nbgrader autograde`` (nbgrader's default preprocessors) on copies of
   the same course, one at a time, and their ratio.

    .venv/bin/python benchmarks/grading.py [--lessons 02_attention ...] [--samples N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

from grader.autograde.batch import Outcome, run_batch
from grader.autograde.results import submission_score
from grader.course.directory import Course
from grader.course.lessons import available_lessons
from grader.course.paths import PROJECT_ROOT
from grader.demo import prepare

CHECK_BUDGET_S = 1.0
NOTEBOOK_BUDGET_S = 30.0

VISIBLE = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch
torch.set_num_threads(2)
import labkit
from grader.checks.registry import exercises
from labkit.notebook import _load_fixtures, fixtures_path
lesson = sys.argv[2]
start = time.perf_counter()
_load_fixtures(str(fixtures_path()))  # once per kernel, in the first check cell
out = {"(loading fixtures.pt, once per kernel)": [time.perf_counter() - start, 0.0]}
for ex in exercises().values():
    if ex.lesson != lesson:
        continue
    times = []
    for _ in range(3):
        start = time.perf_counter()
        labkit.check(ex.name, ex.entry.reference)
        times.append(time.perf_counter() - start)
    out[ex.name] = [times[0], min(times)]
print(json.dumps(out), file=sys.stderr)
"""


def visible_latencies(course: Course, lesson: str) -> dict[str, list[float]]:
    folder = course.release_dir / lesson
    done = subprocess.run([sys.executable, "-c", VISIBLE, str(folder), lesson], cwd=folder,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stderr.strip().splitlines()[-1])


def ours(course: Course, student: str, lesson: str) -> Outcome:
    """One submission through what ``pretraining-lab autograde --workers 1`` runs."""
    (outcome,) = run_batch(course, [student], [lesson], workers=1, force=True)
    return outcome


def stock(course: Course, student: str, lesson: str) -> Outcome:
    """One submission through stock ``nbgrader autograde`` (nbgrader's defaults)."""
    start = time.perf_counter()
    result = course.api(stock=True).autograde(lesson, student, force=True, create=True)
    seconds = time.perf_counter() - start
    if not result.get("success"):
        return Outcome(student, lesson, False, seconds, 0.0)
    score, max_score = submission_score(course, student, lesson)
    return Outcome(student, lesson, True, seconds, score, max_score)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lessons", nargs="*", help="lessons (default: all in solutions/)")
    parser.add_argument("--samples", type=int, default=None,
                        help="grade only the first N sample submissions in part 3")
    parser.add_argument("--dir", type=Path, default=PROJECT_ROOT / "build" / "bench-course")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    lessons = args.lessons or available_lessons()

    print("== building a course and its sample submissions ==")
    course, samples = prepare(args.dir, lessons, max_mistakes=1, out=print)

    print(f"\n== 1. visible check cells (budget {CHECK_BUDGET_S:.0f} s each) ==")
    print(f"{'exercise':<60} {'first':>8} {'best of 3':>10}")
    worst = 0.0
    for lesson in lessons:
        for name, (first, again) in visible_latencies(course, lesson).items():
            worst = max(worst, first)
            flag = "" if first < CHECK_BUDGET_S else "  OVER BUDGET"
            print(f"{lesson + '/' + name:<60} {first:>7.3f}s {again:>9.3f}s{flag}")
    print(f"slowest visible check: {worst:.3f} s")

    print(f"\n== 2. solution notebooks autograded (budget {NOTEBOOK_BUDGET_S:.0f} s each) ==")
    for lesson in lessons:
        o = ours(course, "correct", lesson)
        flag = "" if o.seconds < NOTEBOOK_BUDGET_S else "  OVER BUDGET"
        print(f"{lesson:<30} {o.seconds:>6.1f} s  score {o.score:g}/{o.max_score:g}{flag}")

    pairs = [(s.student, s.lesson) for s in samples][: args.samples]
    stock_course = Course(args.dir.parent / f"{args.dir.name}-stock")
    if stock_course.root.exists():
        shutil.rmtree(stock_course.root)
    shutil.copytree(course.root, stock_course.root)
    print(f"\n== 3. autograding {len(pairs)} sample submissions, one at a time ==")
    print("(interleaved: each submission is graded by both pipelines in turn, so a change "
          "in the machine's load affects both alike)")
    timings = {"course pipeline": 0.0, "stock nbgrader": 0.0}
    points = {"course pipeline": 0.0, "stock nbgrader": 0.0}
    for student, lesson in pairs:
        for label, target, grade in (("course pipeline", course, ours),
                                     ("stock nbgrader", stock_course, stock)):
            start = time.perf_counter()
            o = grade(target, student, lesson)
            timings[label] += time.perf_counter() - start
            points[label] += o.score or 0
    for label, seconds in timings.items():
        print(f"{label:<16} {seconds:>7.1f} s  ({seconds / len(pairs):.1f} s per submission; "
              f"{points[label]:g} points given)")
    ratio = timings["course pipeline"] / timings["stock nbgrader"]
    print(f"time ratio, course pipeline / stock nbgrader: {ratio:.2f}")
    print("(stock nbgrader scores from the kernel's own output, so its points differ: the "
          "monkeypatching sample gets marks there)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
