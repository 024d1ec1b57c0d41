"""``pretraining-lab demo`` (``make demo``): the whole path a lesson travels, on
sample submissions whose scores are known, then the reference training demos.

1. build a scratch course (``build/demo-course``, recreated each run) from
   ``solutions/`` and release every lesson with nbgrader;
2. make the sample submissions of :mod:`grader.course.samples` for each lesson (correct,
   empty, one per catalogued mistake file, a warning on stderr, an edited test
   cell, a monkeypatched checker) and import them;
3. autograde them all (nbgrader's Autograde with the course's preprocessors, in
   parallel sandboxed workers: :func:`grader.autograde.batch.run_batch`),
   generate feedback (and check it holds no hidden-test code), export the CSV;
4. print the instructor report, then one line per sample: the points it deserves
   against the points it got, cell by cell; any mismatch makes the exit status 1;
5. run the reference training demos (``reference.demo``) unless ``--no-training``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from reference.demo import main as training_demo

from .autograde.batch import run_batch
from .autograde.results import cell_scores, export_csv, generate_feedback
from .course.build import build_course
from .course.directory import Course
from .course.lessons import available_lessons
from .course.paths import PROJECT_ROOT, SOLUTIONS_DIR
from .course.release import release
from .course.samples.make import lesson_samples
from .course.samples.sample import KINDS, Sample
from .course.submissions import import_submissions
from .report import report

DEMO_DIR = PROJECT_ROOT / "build" / "demo-course"
HIDDEN_MARKERS = ("labkit.record", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def _pts(x: float | None) -> str:
    if x is None:
        return "-"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def compare_scores(course: Course, samples: Sequence[Sample]) -> list[tuple[Sample, dict, bool]]:
    """(sample, the scores it got per cell, whether they equal what it deserves)."""
    out = []
    for s in samples:
        got = cell_scores(course, s.student, s.lesson)
        got = {gid: got.get(gid) for gid in s.expected}
        ok = all(got[g] is not None and abs(got[g] - s.expected[g]) < 1e-9 for g in s.expected)
        out.append((s, got, ok))
    return out


def feedback_leaks(paths: Sequence[Path]) -> list[str]:
    """Feedback files that show hidden-test code."""
    return [f"{p}: {m}" for p in paths for m in HIDDEN_MARKERS
            if m in p.read_text(encoding="utf-8", errors="replace")]


def prepare(course_dir: str | Path, lessons: Sequence[str] | None = None, *,
            solutions_dir: str | Path = SOLUTIONS_DIR,
            kinds: Sequence[str] | Mapping[str, Sequence[str]] = KINDS,
            max_mistakes: int | None = None, out: Callable[[str], None] = print
            ) -> tuple[Course, list[Sample]]:
    """Build and release a fresh course at ``course_dir`` and import the samples
    (``kinds``: the sample kinds, or the kinds per lesson)."""
    course_dir = Path(course_dir)
    if course_dir.exists():
        shutil.rmtree(course_dir)
    lessons = list(lessons) if lessons else available_lessons(solutions_dir)
    if not lessons:
        raise SystemExit(f"no lessons in {solutions_dir}")
    t = time.perf_counter()
    course = build_course(course_dir, lessons, solutions_dir=solutions_dir)
    release(course, lessons)
    out(f"built and released {', '.join(lessons)} in {course.root} "
        f"({time.perf_counter() - t:.0f} s)")
    samples: list[Sample] = []
    for lesson in lessons:
        samples += lesson_samples(course.source / lesson, course.release_dir / lesson, lesson,
                                  Path(solutions_dir) / lesson / "mistakes",
                                  kinds=kinds.get(lesson, ()) if isinstance(kinds, Mapping) else kinds,
                                  max_mistakes=max_mistakes,
                                  seed_for=lambda student, lesson=lesson: course.seed(student, lesson))
    folder = course_dir.parent / f"{course_dir.name}-samples"
    if folder.exists():
        shutil.rmtree(folder)
    for s in samples:
        s.write(folder)
    result = import_submissions(course, folder)
    out(f"imported {len(result.imported)} sample submissions from {folder}")
    return course, samples


def run_demo(course_dir: str | Path = DEMO_DIR, lessons: Sequence[str] | None = None, *,
             training: bool = True, quick_training: bool = False,
             max_mistakes: int | None = None, solutions_dir: str | Path = SOLUTIONS_DIR,
             out: Callable[[str], None] = print) -> int:
    """The demo; 0 when every sample got exactly what it deserves (and the training
    demos met their targets)."""
    course, samples = prepare(course_dir, lessons, solutions_dir=solutions_dir,
                              max_mistakes=max_mistakes, out=out)

    t = time.perf_counter()

    def progress(o) -> None:  # noqa: ANN001
        state = f"{_pts(o.score)}/{_pts(o.max_score)}" if o.ok else f"FAILED: {o.error}"
        out(f"  autograded {o.lesson} {o.student}: {state} ({o.seconds:.1f} s)")

    outcomes = run_batch(course, progress=progress, force=True)
    out(f"autograded {len(outcomes)} submissions in {time.perf_counter() - t:.0f} s")
    feedback = generate_feedback(course)
    leaks = feedback_leaks(feedback)
    out(f"feedback: {len(feedback)} HTML files, "
        + ("no hidden-test code in them" if not leaks else f"HIDDEN CODE SHOWN: {leaks}"))
    csv = export_csv(course, course.root / "grades.csv")
    out(f"grades exported to {csv}\n")
    out(report(course))

    out("== Samples: the points each deserves against the points it got ==")
    mismatches = 0
    width = max((len(s.lesson) + len(s.student) for s in samples), default=0) + 2
    for s, got, ok in compare_scores(course, samples):
        mismatches += not ok
        total = sum(v or 0.0 for v in got.values())
        line = (f"{'ok  ' if ok else 'FAIL'}  {(s.lesson + '  ' + s.student):<{width}} expected "
                f"{_pts(s.expected_total):>3}  got {_pts(total):>3}  ({s.description})")
        out(line)
        if not ok:
            for gid, want in s.expected.items():
                if got[gid] is None or abs(got[gid] - want) > 1e-9:
                    out(f"        {gid}: expected {_pts(want)}, got {_pts(got[gid])}")
    out(f"\n{len(samples) - mismatches}/{len(samples)} samples scored exactly as they deserve")
    status = 1 if (mismatches or leaks) else 0

    if training:
        out("\n== Reference training demos ==")
        status |= training_demo(["--quick"] if quick_training else [])
    return status
