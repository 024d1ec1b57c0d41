"""The ``pretraining-lab`` command line: build a course, release lessons, import,
autograde, give feedback, export and report, all through nbgrader.

A typical term (the course folder defaults to build/course, or $PRETRAINING_LAB_COURSE):

    pretraining-lab build                       # course folder from solutions/
    pretraining-lab release --update-lessons    # nbgrader generate_assignment; refresh lessons/
    pretraining-lab author                      # run solutions/ notebooks in place
    pretraining-lab release --exchange          # ... and nbgrader release_assignment
    pretraining-lab import downloads.zip        # submissions -> submitted/<student>/<lesson>/
    pretraining-lab collect                     # or: nbgrader collect from the exchange
    pretraining-lab autograde                   # nbgrader autograde + the grader's verdicts
    pretraining-lab feedback [--release]        # HTML feedback without hidden tests
    pretraining-lab export --to grades.csv      # nbgrader's CSV export
    pretraining-lab report                      # scores, pass rates, frequent mistakes
    pretraining-lab report --html               # the same with plots: <course>/report.html
    pretraining-lab demo                        # all of it on sample submissions
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from .autograde.batch import BatchError, Outcome, run_batch
from .autograde.results import export_csv, generate_feedback
from .course import paths
from .course.author import link_lesson
from .course.build import build_course, write_lesson_fixtures
from .course.directory import Course
from .course.exchange import collect, release_feedback, release_to_exchange
from .course.lessons import available_lessons
from .course.paths import DEFAULT_COURSE_DIR, FIXTURES_FILE, LESSONS_DIR, SOLUTIONS_DIR
from .course.release import NbGraderError, release, update_lessons
from .course.submissions import SubmissionError, import_submissions
from .demo import DEMO_DIR, run_demo
from .report import report, write_html

Command = Callable[[argparse.Namespace], int]


def _default_course() -> Path:
    return Path(os.environ.get("PRETRAINING_LAB_COURSE", DEFAULT_COURSE_DIR))


def _course(args: argparse.Namespace) -> Course:
    return Course(args.course)


# --- the commands ------------------------------------------------------------------------

def cmd_build(args: argparse.Namespace) -> int:
    """Create or refresh the course folder."""
    course = build_course(args.course, args.lessons or None, solutions_dir=args.solutions)
    print(f"built {course.root}: {', '.join(course.lessons())}")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    """Build, release, and optionally refresh the committed lessons/."""
    course = build_course(args.course, args.lessons or None, solutions_dir=args.solutions)
    done = release(course, args.lessons or None)
    print(f"released {', '.join(done)} in {course.release_dir}")
    if args.update_lessons:
        for path in update_lessons(course, done, args.lessons_dir):
            print(f"updated {path}")
    if args.exchange:
        print(f"released to the exchange: {', '.join(release_to_exchange(course, done))}")
    return 0


def cmd_author(args: argparse.Namespace) -> int:
    """Link each solutions folder to its released kit, blocks and fixtures."""
    lessons = args.lessons or available_lessons(args.solutions)
    made = [link for lesson in lessons
            for link in link_lesson(lesson, args.solutions, args.lessons_dir)]
    if not args.quiet:
        print(f"linked {len(made)} files: solutions/<lesson>/<lesson>.ipynb runs in place "
              "(jupyter lab solutions/)")
    return 0


def cmd_fixtures(args: argparse.Namespace) -> int:
    """Regenerate fixtures.pt in lessons/ and in the course, if there is one."""
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
    """Import submissions from a folder or zip file."""
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
    """Autograde submissions; exit status 1 if any could not be graded."""
    def progress(o: Outcome) -> None:
        if not args.quiet:
            state = (f"{o.score:g}/{o.max_score:g}" if o.ok else f"NOT GRADED: {o.error}")
            faults = f"  [fault: {'; '.join(o.faults)}]" if o.faults else ""
            notes = f"  [note: {'; '.join(o.notes)}]" if o.notes else ""
            tqdm.write(f"{o.lesson} {o.student}: {state} ({o.seconds:.1f} s){faults}{notes}")

    outcomes = run_batch(_course(args), args.student, args.lesson, workers=args.workers,
                         scheduler=args.scheduler, force=args.force,
                         unsafe_no_sandbox=args.unsafe_no_sandbox,
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
    """Generate HTML feedback for autograded submissions."""
    written = generate_feedback(_course(args), args.student, args.lesson)
    print(f"wrote {len(written)} feedback files under {_course(args).feedback}")
    if args.release:
        released = release_feedback(_course(args), args.student, args.lesson)
        print(f"released the feedback of {released} submission(s) to the exchange")
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    """Collect submissions from nbgrader's exchange into submitted/."""
    for lesson, students in collect(_course(args).require(), args.lesson).items():
        print(f"{lesson}: {len(students)} submission(s) in submitted/")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export grades to CSV."""
    course = _course(args).require()
    dest = args.to or course.root / "grades.csv"
    print(f"exported {export_csv(course, dest, args.student, args.lesson)}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Print the instructor report, or with ``--html`` write it as one HTML page."""
    course = _course(args).require()
    if args.html is None:
        print(report(course, top=args.top), end="")
    else:
        print(f"wrote {write_html(course, args.html or None, top=args.top)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo; exit status 1 if a sample is not scored as it deserves."""
    return run_demo(args.dir, args.lessons or None, training=not args.no_training,
                    quick_training=args.quick_training, max_mistakes=args.max_mistakes,
                    solutions_dir=args.solutions)


# --- the arguments of each command ------------------------------------------------------

def _command(sub: argparse._SubParsersAction, name: str, help: str,
             fn: Command) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help, description=help)
    p.set_defaults(fn=fn)
    return p


def _course_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument("--course", type=Path, default=_default_course(),
                   help="the course folder (default: $PRETRAINING_LAB_COURSE or build/course)")


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--student", action="append", default=[], help="only this student "
                   "(repeatable)")
    p.add_argument("--lesson", action="append", default=[], help="only this lesson (repeatable)")


def _lessons_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("lessons", nargs="*", help="lessons (default: all in solutions/)")
    p.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR, help="the solutions folder")


def _add_build(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "build", "create or refresh the course folder from solutions/: "
                 "lab_config.py (the grading pipeline), nbgrader_config.py (written once, "
                 "then yours), the course secret (kept if present), and source/<lesson>/ "
                 "with the notebook, labkit/, fixtures.pt and blocks/", cmd_build)
    _course_opt(p)
    _lessons_opts(p)


def _add_release(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "release", "build, then release lessons with nbgrader "
                 "generate_assignment; with --update-lessons also rewrite the committed "
                 "lessons/<lesson>/", cmd_release)
    _course_opt(p)
    _lessons_opts(p)
    p.add_argument("--update-lessons", action="store_true", help="copy the release to lessons/")
    p.add_argument("--lessons-dir", type=Path, default=LESSONS_DIR, help="where lessons/ is")
    p.add_argument("--exchange", action="store_true", help="also release to nbgrader's exchange "
                   "(c.Exchange.root in the course's nbgrader_config.py), where students fetch")


def _add_collect(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "collect", "collect submissions from nbgrader's exchange into "
                 "submitted/ (nbgrader collect; a newer submission replaces an older one)",
                 cmd_collect)
    _course_opt(p)
    p.add_argument("--lesson", action="append", default=[], help="only this lesson (repeatable)")


def _add_author(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "author", "link solutions/<lesson>/ to the released labkit/, blocks/ "
                 "and fixtures.pt in lessons/<lesson>/ (git-ignored links), so that an "
                 "instructor can run the source notebook in place in JupyterLab", cmd_author)
    _lessons_opts(p)
    p.add_argument("--lessons-dir", type=Path, default=LESSONS_DIR, help="where lessons/ is")
    p.add_argument("--quiet", action="store_true", help="print nothing")


def _add_fixtures(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "fixtures", "regenerate fixtures.pt (the visible cases and expected "
                 "outputs) in lessons/<lesson>/, and in the course's source/ and release/ if "
                 "it exists", cmd_fixtures)
    _course_opt(p)
    _lessons_opts(p)
    p.add_argument("--lessons-dir", type=Path, default=LESSONS_DIR, help="where lessons/ is")


def _add_import(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "import", "import submissions from a folder or zip file "
                 "(<student>/<lesson>/<lesson>.ipynb or <student>_<lesson>.ipynb) into "
                 "submitted/; all or nothing", cmd_import)
    _course_opt(p)
    p.add_argument("path", type=Path, help="a folder or a .zip file")
    p.add_argument("--replace", action="store_true", help="replace existing submissions (the "
                   "old ones are moved to backup/)")


def _add_autograde(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "autograde", "autograde submissions with nbgrader (the course's "
                 "pipeline: each kernel in a sandbox, the hidden-test verdicts computed outside "
                 "it), in parallel worker processes; a rerun grades only what is not graded "
                 "yet", cmd_autograde)
    _course_opt(p)
    _filters(p)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="worker processes grading in parallel (default: the number of cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on a Dask cluster: its scheduler's address (tcp://host:8786), "
                   "or 'local' to start one of --workers processes here; every worker needs "
                   "the course folder at the same path (a shared file system), the same "
                   "environment and bubblewrap (README: Grading on a cluster)")
    p.add_argument("--force", action="store_true", help="regrade submissions already graded")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("-q", "--quiet", action="store_true", help="no line per submission")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="UNSAFE: run students' code without the sandbox (with the grader's "
                   "permissions, network and files) where bubblewrap cannot run")


def _add_feedback(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "feedback", "generate HTML feedback (nbgrader generate_feedback, hidden "
                 "tests removed) for autograded submissions; with --release also release "
                 "it to nbgrader's exchange (nbgrader release_feedback)", cmd_feedback)
    _course_opt(p)
    _filters(p)
    p.add_argument("--release", action="store_true", help="release the feedback to nbgrader's "
                   "exchange, where students fetch it")


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "export", "export grades to CSV (nbgrader's CSV export)", cmd_export)
    _course_opt(p)
    _filters(p)
    p.add_argument("--to", type=Path, help="the CSV file (default: <course>/grades.csv)")


def _add_report(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "report", "print scores per student and exercise, the score "
                 "distribution of each lesson, the pass rate and item analysis of each "
                 "exercise, the most frequent diagnosed mistakes, the faults; with --html, "
                 "write it as one self-contained HTML page with plots", cmd_report)
    _course_opt(p)
    p.add_argument("--top", type=int, default=10, help="how many mistakes to list (in the "
                   "HTML page, per exercise)")
    p.add_argument("--html", nargs="?", const="", default=None, metavar="PATH",
                   help="write the HTML report to PATH (default: <course>/report.html) "
                   "instead of printing the text report")


def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "demo", "build a scratch course, grade sample submissions whose scores "
                 "are known (exit 1 on any mismatch), print the report, then train the "
                 "reference demos", cmd_demo)
    p.add_argument("lessons", nargs="*", help="lessons (default: all in solutions/)")
    p.add_argument("--dir", type=Path, default=DEMO_DIR, help="the scratch course folder "
                   "(deleted and rebuilt)")
    p.add_argument("--no-training", action="store_true", help="skip the reference training demos")
    p.add_argument("--quick-training", action="store_true", help="the reduced training budget")
    p.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR, help="the solutions folder")
    p.add_argument("--max-mistakes", type=int, default=None,
                   help="at most this many mistake samples per lesson")


#: the subcommands, in the order ``--help`` lists them
SUBCOMMANDS = (_add_build, _add_release, _add_author, _add_fixtures, _add_import, _add_collect,
               _add_autograde, _add_feedback, _add_export, _add_report, _add_demo)


def build_parser() -> argparse.ArgumentParser:
    """The ``pretraining-lab`` argument parser, one subcommand per command."""
    parser = argparse.ArgumentParser(prog="pretraining-lab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="show nbgrader's log")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv`` names; its exit status (2 on a reported error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    paths.LOG_LEVEL = "INFO" if args.verbose else "ERROR"
    if not args.verbose:
        warnings.filterwarnings("ignore", module="nbgrader")
        warnings.filterwarnings("ignore", message=".*not in session.*")
        # nbgrader adds back a deleted test cell without a cell id (nbformat warns).
        warnings.filterwarnings("ignore", message="Cell is missing an id field")
    try:
        return args.fn(args)
    except (SubmissionError, NbGraderError, BatchError, FileNotFoundError, ValueError) as exc:
        print(f"pretraining-lab {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
