"""Where one notebook's grading time goes: a profile split into its parts.

Grades sample submissions (default: the correct sample of every lesson) IN THIS PROCESS
with ``worker.grade_private``, as a batch worker does (the sandbox on, in the machine's
default mode), and merges each result into a copy of the course as the parent does
(``Tally.merged``). The functions named in ``hooks()`` are wrapped with timers (patched in
this process only; coroutines timed until awaited); a timer counts its own time minus that
of the timers inside it, so the parts (``PARTS``) add up to the total and what none claims
is the unexplained remainder. A warm-up notebook goes first, not counted (only a worker's
first pays the grader's lazy imports). A missing name, or a part never entered, stops it.

Wall: ``time.perf_counter``. Grader CPU: ``time.process_time`` (this process, all threads).
Kernel CPU: ``getrusage(RUSAGE_CHILDREN)`` never sees the kernel (bwrap's ``--unshare-pid``
keeps a sandboxed process's CPU out of its reaper's rusage: 0 s, measured), so it is the
CPU of this process's live descendants (bwrap, the kernel, all in its sandbox; /proc) read
at the ``MARKS`` (sandbox entered and left, kernel start, imports cell, shutdown begun),
plus the helpers this process reaps (mount, umount: RUSAGE_CHILDREN); the reads are timed
as profiler overhead. Prints figures, asserts nothing.

    .venv/bin/python benchmarks/profile_grading.py [--lessons 02_attention ...] [--repeat K]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import inspect
import os
import re
import resource
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from nbconvert.preprocessors import Preprocessor

from grader.autograde import worker
from grader.autograde.batch import _course_config, _fresh_work_dir, _overrides, check_sandbox
from grader.autograde.ledger import WORK_DIR
from grader.autograde.preprocessors.hidden_verdicts import HiddenVerdicts
from grader.autograde.preprocessors.safe_execute import SafeExecute
from grader.autograde.sandbox import Sandbox
from grader.autograde.session import SandboxSession
from grader.autograde.tally import Tally
from grader.course.directory import Course
from grader.course.lessons import available_lessons
from grader.course.paths import PROJECT_ROOT
from grader.demo import prepare

PARTS = {
    "1": "private course set-up (worker._prepare)",
    "2": "nbgrader set-up (worker._api: config, NbGraderAPI)",
    "3": "kernel and sandbox start (until the kernel answers)",
    "4": "imports in the kernel (first code cell)",
    "5": "the other cells' execution",
    "6": "kernel shutdown, evidence and sandbox clean-up",
    "7": "trusted verdicts (HiddenVerdicts.preprocess)",
    "8": "gradebook work (rest of nbgrader's autograde)",
    "9": "merge in the parent (Tally.merged)",
    "?": "unexplained remainder (grade_private outside the parts)",
    "-": "profiler overhead (reading /proc; not grading)",
}
ENTER, KM, START, READY = ("3 SandboxSession.__enter__", "3 SafeExecute.create_kernel_manager",
                           "3 nbclient start_new_kernel",
                           "3 nbclient start_new_kernel_client (until it answers)")
IMPORTS, CELLS, OWN = ("4 first code cell (imports)", "5 other cells",
                       "5 SafeExecute's own run (kernel_info, fault report)")
SHUTDOWN, CLOSE = "6 nbclient _cleanup_kernel (kernel shutdown)", "6 SandboxSession.close"
VERDICTS, SAVE, READ = "7 HiddenVerdicts", "8 SaveAutoGrades", "8 worker._read_private"
AUTOGRADE = "8 NbGraderAPI.autograde, the rest (converter, files, I/O)"
REST, MERGE = "? grade_private outside the parts", "9 Tally.merged (on a copy of the course)"
#: Every notebook's grading must enter these (else the script stops: the code changed).
REQUIRED = ("1 worker._prepare", "2 worker._api", ENTER, START, READY, IMPORTS, CELLS, OWN,
            SHUTDOWN, CLOSE, VERDICTS, SAVE, AUTOGRADE, READ)
#: Where the descendants' CPU is read (entering, leaving a label), and which spans
#: between those reads are the kernel's CPU of which label.
MARKS = {ENTER: ("A", "A2"), START: ("B", "B2"), READY: (None, "C"), IMPORTS: ("D", "E"),
         SHUTDOWN: ("F", None), CLOSE: ("G", "G2")}
SPANS = {ENTER: "A A2", START: "B B2", READY: "B2 C", IMPORTS: "D E", CELLS: "C D E F",
         CLOSE: "G G2"}
OVERHEAD, TICKS = "- reading /proc", os.sysconf("SC_CLK_TCK")
IMPORT_LINE = re.compile(r"^\s*(import|from)\s+\w", re.MULTILINE)

Row = list[float]  # wall s, grader CPU s, kernel CPU s, calls
Run = dict[str, Row]  # label -> row, for one notebook


def tree_cpu() -> float:
    """CPU seconds so far of this process's live descendants and the children they reaped."""
    total, todo, me = 0.0, [os.getpid()], os.getpid()
    while todo:
        pid, tids = todo.pop(), []
        with contextlib.suppress(OSError):
            tids = os.listdir(f"/proc/{pid}/task")
        for tid in tids:
            with contextlib.suppress(OSError, ValueError):
                todo += map(int, Path(f"/proc/{pid}/task/{tid}/children").read_text().split())
        if pid != me:
            with contextlib.suppress(OSError, ValueError):
                stat = Path(f"/proc/{pid}/stat").read_bytes()
                total += sum(int(x) for x in stat[stat.rindex(b")") + 2:].split()[11:15]) / TICKS
    return total


def _clocks() -> tuple[float, float, float]:
    """(wall, this process's CPU, reaped children's CPU) now."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter(), time.process_time(), ru.ru_utime + ru.ru_stime


class Profiler:
    """Nested timers; each label gets its own time minus that of the timers inside it."""

    def __init__(self) -> None:
        self.stack: list[list[float]] = []  # per open timer: its nested timers' sums
        self.run: Run = {}
        self.marks: dict[str, float] = {}  # the descendants' CPU at points of the timeline

    def _mark(self, name: str | None, first: bool) -> None:
        if name is not None and not (first and name in self.marks):
            with self.timer(OVERHEAD):
                self.marks[name] = tree_cpu()

    @contextlib.contextmanager
    def timer(self, label: str) -> Iterator[None]:
        """Time the block under ``label``."""
        start, nested = _clocks(), [0.0, 0.0, 0.0]
        self.stack.append(nested)
        marks = MARKS.get(label, (None, None))
        try:
            self._mark(marks[0], first=True)
            yield
        finally:
            self._mark(marks[1], first=False)
            spent = [b - a for a, b in zip(start, _clocks(), strict=True)]
            if not self.stack or self.stack[-1] is not nested:
                raise RuntimeError(f"profile_grading: timer {label!r} ended out of order "
                                   "(concurrent wrapped calls?)")
            self.stack.pop()
            row = self.run.setdefault(label, [0.0, 0.0, 0.0, 0])
            row[:3] = [r + s - n for r, s, n in zip(row, spent, nested, strict=False)]
            row[3] += 1
            if self.stack:  # the enclosing timer's own time excludes this one
                self.stack[-1][:] = [n + s for n, s in zip(self.stack[-1], spent, strict=True)]

    def take(self) -> Run:
        """The rows since the last take, with the kernel's CPU of each span added."""
        run, m, self.run, self.marks = self.run, self.marks, {}, {}
        for label, n in ((label, names.split()) for label, names in SPANS.items()):
            if label in run and set(n) <= m.keys():
                run[label][2] += sum(m[b] - m[a] for a, b in zip(n[::2], n[1::2], strict=True))
        return run


Label = str | Callable[..., str]
#: (owner, name, label): ``owner.name`` (a module's function, a class's method) timed.
Hook = tuple[Any, str, Label]


def _cell_label(client: Any, cell: Any, resources: Any, index: int, **_: Any) -> str:
    """Part 4 for the notebook's first code cell that imports, part 5 for the others."""
    for i, c in enumerate(client.nb.cells):
        if c.cell_type == "code" and IMPORT_LINE.search(c.source):
            return IMPORTS if i == index else CELLS
    return CELLS


def _preprocessor_label(pre: Any, *_: Any, **__: Any) -> str:
    """A preprocessor's row: SafeExecute's own run (5), the verdicts (7), any other (8)."""
    name = type(pre).__name__
    return {"SafeExecute": OWN, "HiddenVerdicts": VERDICTS}.get(name, f"8 {name}")


def hooks() -> list[Hook]:
    """What is wrapped (see the module docstring); stable names only."""
    from nbgrader.apps import NbGraderAPI  # imports torch: only once warnings are off

    return [
        (worker, "_prepare", "1 worker._prepare"),
        (worker, "_api", "2 worker._api"),
        (SandboxSession, "__enter__", ENTER),
        (SafeExecute, "create_kernel_manager", KM),
        (SafeExecute, "start_new_kernel", START),
        (SafeExecute, "async_start_new_kernel", START),
        (SafeExecute, "start_new_kernel_client", READY),
        (SafeExecute, "async_start_new_kernel_client", READY),
        (SafeExecute, "preprocess_cell", _cell_label),
        (SafeExecute, "_cleanup_kernel", SHUTDOWN),
        (SafeExecute, "_async_cleanup_kernel", SHUTDOWN),
        (SandboxSession, "close", CLOSE),
        (Preprocessor, "__call__", _preprocessor_label),
        (HiddenVerdicts, "preprocess", VERDICTS),
        (NbGraderAPI, "autograde", AUTOGRADE),
        (worker, "_read_private", READ),
    ]


def _wrap(fn: Callable[..., Any], label: Label, prof: Profiler) -> Callable[..., Any]:
    """``fn`` timed under ``label``; a coroutine function stays one (timed to its end)."""
    def name(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        return label if isinstance(label, str) else label(*args, **kwargs)

    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def awaited(*args: Any, **kwargs: Any) -> Any:
            with prof.timer(name(args, kwargs)):
                return await fn(*args, **kwargs)
        return awaited

    @functools.wraps(fn)
    def called(*args: Any, **kwargs: Any) -> Any:
        with prof.timer(name(args, kwargs)):
            return fn(*args, **kwargs)
    return called


@contextlib.contextmanager
def instrumented(prof: Profiler, wanted: list[Hook]) -> Iterator[None]:
    """Wrap every hook (on the class that defines the attribute the owner resolves to),
    unwrapping them on the way out; stop, naming it, when one cannot be found."""
    undo: list[tuple[Any, str, Any]] = []
    try:
        for owner, name, label in wanted:
            where = owner
            if inspect.isclass(owner):
                where = next((k for k in owner.__mro__ if name in k.__dict__), None)
            fn = None if where is None else vars(where).get(name)
            if not callable(fn):
                who = getattr(owner, "__qualname__", None) or owner.__name__
                raise SystemExit(f"profile_grading: cannot find {who}.{name} to time "
                                 f"{label!s:.60}; the grading code changed: update hooks()")
            undo.append((where, name, fn))
            setattr(where, name, _wrap(fn, label, prof))
        yield
    finally:
        for where, name, fn in reversed(undo):
            setattr(where, name, fn)


class Bench(NamedTuple):
    """The course graded, its copy for the merges, the workers' settings, the timers."""
    course: Course
    merged_into: Course
    overrides: dict[str, dict[str, Any]]
    prof: Profiler


def setup(args: argparse.Namespace, lessons: list[str]) -> tuple[Bench, list[tuple[str, str]]]:
    """Build the course with the samples, refuse without a sandbox, prepare the work
    folder and the course copy the merges go to; (the bench, (student, lesson) pairs)."""
    course, samples = prepare(args.dir, lessons, kinds=("correct",), out=print)
    check_sandbox(course)
    cfg = _course_config(course)
    print(f"sandbox: {Sandbox(config=cfg).resolved_mode()} mode, as uid {os.getuid()}; "
          f"{'warm' if args.warm else 'cold'} kernels")
    _fresh_work_dir(course)
    copy = Course(args.dir.parent / f"{args.dir.name}-merged")
    if copy.root.exists():
        shutil.rmtree(copy.root)
    shutil.copytree(course.root, copy.root, ignore=shutil.ignore_patterns(WORK_DIR))
    (copy.root / WORK_DIR).mkdir()
    bench = Bench(course, copy, _overrides(cfg, 1, False), Profiler())
    return bench, [(s.student, s.lesson) for s in samples]


def grade_one(bench: Bench, student: str, lesson: str) -> Run:
    """Grade one submission as a worker does, merge it as the parent does: its rows."""
    course, prof = bench.course, bench.prof
    prof.take()
    with prof.timer(REST):
        result = worker.grade_private(str(course.root), str(course.root / WORK_DIR), student,
                                      lesson, bench.overrides)
    if not result.get("ok"):
        raise SystemExit(f"{lesson} {student} could not be graded: {result.get('error')}\n"
                         f"{result.get('traceback', '')}")
    key = (student, lesson)
    tally = Tally(bench.merged_into, [key], {key: result["digest"]})
    with prof.timer(MERGE):
        outcome = tally.merged(result)
    if outcome is None or not outcome.ok:
        raise SystemExit(f"merging {lesson} {student} failed: {outcome}")
    run = prof.take()
    missing = [label for label in REQUIRED if label not in run]
    if missing:
        raise SystemExit(f"profile_grading: grading {lesson} never entered {missing}: those "
                         "rows would read 0 s. The grading code changed: update hooks()")
    total = [sum(row[i] for row in run.values()) for i in range(3)]
    print(f"  {lesson:<24} {outcome.score:g}/{outcome.max_score:g} points, {total[0]:5.1f} s "
          f"wall, grader CPU {total[1]:5.1f} s, kernel CPU {total[2]:5.1f} s", flush=True)
    return run


def mean(runs: list[Run]) -> dict[str, list[float]]:
    """label -> mean [wall, grader CPU, kernel CPU] over ``runs`` (one per notebook)."""
    out: dict[str, list[float]] = {}
    for run in runs:
        for label, row in run.items():
            acc = out.get(label, [0.0, 0.0, 0.0])
            out[label] = [a + v / len(runs) for a, v in zip(acc, row, strict=False)]
    return out


def by_part(rows: dict[str, list[float]]) -> dict[str, list[float]]:
    """part key -> [wall, grader CPU, kernel CPU]."""
    parts = {key: [0.0, 0.0, 0.0] for key in PARTS}
    for label, values in rows.items():
        parts[label[0]] = [p + v for p, v in zip(parts[label[0]], values, strict=True)]
    return parts


def print_per_notebook(per_lesson: dict[str, list[Run]]) -> None:
    """One line per lesson: the wall seconds of each part, the total and the CPU."""
    print("\n== wall seconds per part, per notebook (mean of its repeats) ==")
    print(f"{'lesson':<24}" + "".join(f"{k:>6}" for k in PARTS)
          + f"{'total':>8}{'CPU grader':>11}{'CPU kernel':>11}")
    for lesson, runs in per_lesson.items():
        parts = by_part(mean(runs))
        tot = [sum(v[i] for v in parts.values()) for i in range(3)]
        print(f"{lesson:<24}" + "".join(f"{v[0]:6.2f}" for v in parts.values())
              + f"{tot[0]:8.2f}{tot[1]:11.2f}{tot[2]:11.2f}")


def print_table(runs: list[Run]) -> None:
    """The mean notebook: one row per part, its timers under it, the total."""
    rows = mean(runs)
    parts = by_part(rows)
    total = [sum(v[i] for v in parts.values()) for i in range(3)]
    print(f"\n== mean per notebook, over {len(runs)} notebooks ==")
    print("CPU s (grader): this process, all threads. CPU s (kernel): its descendants (bwrap, "
          "the kernel, all in\nits sandbox; /proc) and the helpers it reaped; not the "
          "kernel's own shutdown.")
    print(f"{'part':<62}{'wall s':>8}{'CPU s (grader)':>16}{'CPU s (kernel)':>16}{'share':>8}")
    for key, (wall, cpu, kcpu) in parts.items():
        print(f"{key + '. ' + PARTS[key]:<62}{wall:8.3f}{cpu:16.3f}{kcpu:16.3f}"
              f"{wall / total[0]:8.1%}")
        inner = sorted(((label, v) for label, v in rows.items() if label[0] == key),
                       key=lambda item: -item[1][0])
        small = [label for label, v in inner if v[0] < 0.01]
        for label, (w, c, k) in inner:
            if len(inner) > 1 and label not in small:
                print(f"   {label[2:]:<59.59}{w:8.3f}{c:16.3f}{k:16.3f}")
        if len(inner) > 1 and small:
            print(f"   ({len(small)} more, under 0.01 s each)")
    print(f"{'total':<62}{total[0]:8.3f}{total[1]:16.3f}{total[2]:16.3f}{1:8.1%}")
    print(f"unexplained remainder (part ?): {parts['?'][0]:.3f} s "
          f"({parts['?'][0] / total[0]:.1%} of the wall)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lessons", nargs="*", help="lessons (default: all in solutions/)")
    parser.add_argument("--repeat", type=int, default=1, help="grade each notebook K times")
    parser.add_argument("--dir", type=Path, default=PROJECT_ROOT / "build" / "bench-profile")
    parser.add_argument("--warm", action="store_true", help="warm kernels, if this grader has "
                        "them (grader.autograde.warm.enable(), as a batch worker calls it)")
    return parser.parse_args(argv)


def _machine() -> str:
    """Cores and load, for the record."""
    return f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"


def main(argv: list[str] | None = None) -> int:
    """Prepare the samples, grade them under the timers, print the tables."""
    args = parse_args(argv)
    warnings.filterwarnings("ignore")
    lessons = args.lessons or available_lessons()
    print(f"lessons: {', '.join(lessons)}; {_machine()}")
    bench, pairs = setup(args, lessons)
    import torch  # as worker_main does before its first submission

    torch.set_num_threads(1)
    if args.warm:
        importlib.import_module("grader.autograde.warm").enable()
    per_lesson: dict[str, list[Run]] = {lesson: [] for _, lesson in pairs}
    with instrumented(bench.prof, hooks()):
        print("warm-up (not counted):")
        grade_one(bench, *pairs[0])
        for repeat in range(args.repeat):
            print(f"round {repeat + 1} of {args.repeat}:")
            for student, lesson in pairs:
                per_lesson[lesson].append(grade_one(bench, student, lesson))
    print_per_notebook(per_lesson)
    print_table([run for runs in per_lesson.values() for run in runs])
    print(f"({_machine()} at the end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
