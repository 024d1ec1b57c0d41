"""The ``pretraining-lab`` command line: build a course, release lessons, import,
autograde, give feedback, export and report, all through nbgrader.

A typical term (the course folder defaults to build/course, or $PRETRAINING_LAB_COURSE):

    pretraining-lab build                       # course folder from solutions/
    pretraining-lab release --update-lessons    # nbgrader generate_assignment; refresh lessons/
    pretraining-lab import downloads.zip        # submissions -> submitted/<student>/<lesson>/
    pretraining-lab autograde                   # nbgrader autograde + the grader's verdicts
    pretraining-lab feedback                    # HTML feedback without hidden tests
    pretraining-lab export --to grades.csv      # nbgrader's CSV export
    pretraining-lab report                      # scores, pass rates, frequent mistakes
    pretraining-lab demo                        # all of it on sample submissions
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path


def _default_course() -> Path:
    from .course.paths import DEFAULT_COURSE_DIR

    return Path(os.environ.get("PRETRAINING_LAB_COURSE", DEFAULT_COURSE_DIR))


def _course(args: argparse.Namespace):
    from .course.directory import Course

    return Course(args.course)


def cmd_build(args: argparse.Namespace) -> int:
    from .course.build import build_course

    course = build_course(args.course, args.lessons or None, solutions_dir=args.solutions)
    print(f"built {course.root}: {', '.join(course.lessons())}")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from .course.build import build_course
    from .course.release import release, update_lessons

    course = build_course(args.course, args.lessons or None, solutions_dir=args.solutions)
    done = release(course, args.lessons or None)
    print(f"released {', '.join(done)} in {course.release_dir}")
    if args.update_lessons:
        for path in update_lessons(course, done, args.lessons_dir):
            print(f"updated {path}")
    return 0


def cmd_fixtures(args: argparse.Namespace) -> int:
    from .course.build import write_lesson_fixtures
    from .course.directory import Course
    from .course.lessons import available_lessons
    from .course.paths import FIXTURES_FILE

    lessons = args.lessons or available_lessons(args.solutions)
    targets = [Path(args.lessons_dir)]
    course = Course(args.course)
    if course.exists():
        targets += [course.source, course.release_dir]
    for lesson in lessons:
        for base in targets:
            if (base / lesson).is_dir():
                print(f"wrote {write_lesson_fixtures(lesson, base / lesson / FIXTURES_FILE)}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .course.submissions import import_submissions

    result = import_submissions(_course(args), args.path, replace=args.replace)
    for student, lesson in result.imported:
        note = " (replaced)" if (student, lesson) in result.replaced else ""
        print(f"imported {student}/{lesson}{note}")
    if result.backup:
        print(f"replaced submissions kept in {result.backup}")
    if result.skipped:
        print(f"skipped {len(result.skipped)} other files: {', '.join(result.skipped[:5])}"
              + (" ..." if len(result.skipped) > 5 else ""))
    return 0


def cmd_autograde(args: argparse.Namespace) -> int:
    from .autograde.batch import run_batch

    def progress(o) -> None:  # noqa: ANN001
        if not args.quiet:
            state = (f"{o.score:g}/{o.max_score:g}" if o.ok else f"NOT GRADED: {o.error}")
            faults = f"  [{'; '.join(o.faults)}]" if o.faults else ""
            tqdm_write(f"{o.lesson} {o.student}: {state} ({o.seconds:.1f} s){faults}")

    from tqdm import tqdm

    tqdm_write = tqdm.write
    outcomes = run_batch(_course(args), args.student, args.lesson, workers=args.workers,
                         force=args.force, unsafe_no_sandbox=args.unsafe_no_sandbox,
                         progress=progress, show_bar=not args.no_progress,
                         warn=lambda m: print(m, file=sys.stderr))
    if not outcomes:
        print("no submissions matched")
    skipped = [o for o in outcomes if o.skipped]
    failed = [o for o in outcomes if not o.ok]
    graded = len(outcomes) - len(failed) - len(skipped)
    print(f"autograded {graded} of {len(outcomes) - len(skipped)} submissions"
          + (f"; {len(skipped)} already graded, skipped (--force regrades them)" if skipped else ""))
    return 1 if failed else 0


def cmd_feedback(args: argparse.Namespace) -> int:
    from .autograde.results import generate_feedback

    paths = generate_feedback(_course(args), args.student, args.lesson)
    print(f"wrote {len(paths)} feedback files under {_course(args).feedback}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .autograde.results import export_csv

    course = _course(args).require()
    dest = args.to or course.root / "grades.csv"
    print(f"exported {export_csv(course, dest, args.student, args.lesson)}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report import report

    print(report(_course(args).require(), top=args.top), end="")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args.dir, args.lessons or None, training=not args.no_training,
                    quick_training=args.quick_training, max_mistakes=args.max_mistakes,
                    solutions_dir=args.solutions)


def build_parser() -> argparse.ArgumentParser:
    from .course.paths import LESSONS_DIR, SOLUTIONS_DIR
    from .demo import DEMO_DIR

    parser = argparse.ArgumentParser(prog="pretraining-lab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="show nbgrader's log")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help: str, fn) -> argparse.ArgumentParser:  # noqa: ANN001
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(fn=fn)
        return p

    def course_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument("--course", type=Path, default=_default_course(),
                       help="the course folder (default: $PRETRAINING_LAB_COURSE or build/course)")

    def filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--student", action="append", default=[], help="only this student "
                       "(repeatable)")
        p.add_argument("--lesson", action="append", default=[], help="only this lesson (repeatable)")

    p = add("build", "create or refresh the course folder from solutions/: nbgrader_config.py, "
            "the course secret (kept if present), and source/<lesson>/ with the notebook, "
            "labkit/, fixtures.pt and blocks/", cmd_build)
    course_opt(p)
    p.add_argument("lessons", nargs="*", help="lessons (default: all in solutions/)")
    p.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR, help="the solutions folder")

    p = add("release", "build, then release lessons with nbgrader generate_assignment; with "
            "--update-lessons also rewrite the committed lessons/<lesson>/", cmd_release)
    course_opt(p)
    p.add_argument("lessons", nargs="*", help="lessons (default: all in solutions/)")
    p.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR, help="the solutions folder")
    p.add_argument("--update-lessons", action="store_true", help="copy the release to lessons/")
    p.add_argument("--lessons-dir", type=Path, default=LESSONS_DIR, help="where lessons/ is")

    p = add("fixtures", "regenerate fixtures.pt (the visible cases and expected outputs) in "
            "lessons/<lesson>/, and in the course's source/ and release/ if it exists", cmd_fixtures)
    course_opt(p)
    p.add_argument("lessons", nargs="*", help="lessons (default: all in solutions/)")
    p.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR, help="the solutions folder")
    p.add_argument("--lessons-dir", type=Path, default=LESSONS_DIR, help="where lessons/ is")

    p = add("import", "import submissions from a folder or zip file "
            "(<student>/<lesson>/<lesson>.ipynb or <student>_<lesson>.ipynb) into "
            "submitted/; all or nothing", cmd_import)
    course_opt(p)
    p.add_argument("path", type=Path, help="a folder or a .zip file")
    p.add_argument("--replace", action="store_true", help="replace existing submissions (the "
                   "old ones are moved to backup/)")

    p = add("autograde", "autograde submissions with nbgrader (the course's pipeline: each "
            "kernel in a sandbox, the hidden-test verdicts computed outside it), in parallel "
            "worker processes; a rerun grades only what is not graded yet", cmd_autograde)
    course_opt(p)
    filters(p)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="worker processes grading in parallel (default: the number of cores)")
    p.add_argument("--force", action="store_true", help="regrade submissions already graded")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("-q", "--quiet", action="store_true", help="no line per submission")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="UNSAFE: run students' code without the sandbox (with the grader's "
                   "permissions, network and files) where bubblewrap cannot run")

    p = add("feedback", "generate HTML feedback (nbgrader generate_feedback, hidden tests "
            "removed) for autograded submissions", cmd_feedback)
    course_opt(p)
    filters(p)

    p = add("export", "export grades to CSV (nbgrader's CSV export)", cmd_export)
    course_opt(p)
    filters(p)
    p.add_argument("--to", type=Path, help="the CSV file (default: <course>/grades.csv)")

    p = add("report", "print scores per student and exercise, the pass rate per exercise and "
            "the most frequent diagnosed mistakes", cmd_report)
    course_opt(p)
    p.add_argument("--top", type=int, default=10, help="how many mistakes to list")

    p = add("demo", "build a scratch course, grade sample submissions whose scores are known "
            "(exit 1 on any mismatch), print the report, then train the reference demos",
            cmd_demo)
    p.add_argument("lessons", nargs="*", help="lessons (default: all in solutions/)")
    p.add_argument("--dir", type=Path, default=DEMO_DIR, help="the scratch course folder "
                   "(deleted and rebuilt)")
    p.add_argument("--no-training", action="store_true", help="skip the reference training demos")
    p.add_argument("--quick-training", action="store_true", help="the reduced training budget")
    p.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR, help="the solutions folder")
    p.add_argument("--max-mistakes", type=int, default=None,
                   help="at most this many mistake samples per lesson")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .course import paths

    paths.LOG_LEVEL = "INFO" if args.verbose else "ERROR"
    if not args.verbose:
        warnings.filterwarnings("ignore", module="nbgrader")
        warnings.filterwarnings("ignore", message=".*not in session.*")
        # nbgrader adds back a deleted test cell without a cell id (nbformat warns).
        warnings.filterwarnings("ignore", message="Cell is missing an id field")
    from .autograde.batch import BatchError
    from .course.release import NbGraderError
    from .course.submissions import SubmissionError

    try:
        return args.fn(args)
    except (SubmissionError, NbGraderError, BatchError, FileNotFoundError, ValueError) as exc:
        print(f"pretraining-lab {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
