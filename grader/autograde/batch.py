"""Autograding a batch of submissions: in parallel, sandboxed, fault tolerant,
resumable (``pretraining-lab autograde --workers N``).

Design (the worker's side is :mod:`grader.autograde.worker`; digests, verdict logs and the merge
are :mod:`grader.autograde.ledger`)
------
* **Workers.** ``N`` worker processes (``spawn``; each imports nbgrader, torch and
  the trusted grader once and then grades submission after submission) take one
  submission at a time from the parent. A worker that dies or overruns its hard
  limit is killed and replaced; the submission is graded again as a substitute
  (below), so one submission can never stop the batch.
* **Private course per submission.** nbgrader's SQLite gradebook is not safe for
  concurrent writers, so a worker never touches the real course's writable files.
  It grades in ``<course>/.lab_work/<lesson>--<student>/``: the course's
  ``nbgrader_config.py`` and secret, a copy of ``source/<lesson>``, a copy of the
  gradebook taken at the start of the batch, and a sanitised copy of the submission
  (only ``<lesson>.ipynb`` and ``timestamp.txt``). nbgrader's own ``Autograde``
  (the course's pipeline, with the kernel in the sandbox of :mod:`grader.autograde.sandbox`)
  runs there.
* **Merge.** The parent, alone, merges each finished submission into the real
  course, one at a time: (1) delete the old verdict log; (2) in one transaction
  through nbgrader's ``Gradebook`` API, create/update the student and submission
  and copy what ``SaveAutoGrades``/``AssignLatePenalties`` wrote (each grade's
  ``auto_score`` and ``needs_manual_grade``, each comment's ``auto_comment``, each
  notebook's late penalty; manual grades are kept); (3) swap the autograded folder
  into ``autograded/<student>/<lesson>``; (4) write the verdict log
  ``lab_verdicts/<lesson>/<student>.json`` last, with a digest of the submission.
  Grades are per (submission, cell) rows that are overwritten, never added, so a
  submission merged twice is counted once.
* **Engines.** The local pool of this module, or a Dask cluster (``scheduler``,
  :mod:`grader.autograde.dask_engine`): either only grades; each result goes to the
  parent's :class:`~grader.autograde.tally.Tally`, which merges it (or records the error)
  and counts each submission once, by (student, lesson).
* **Resume.** The verdict log is the commit marker: a rerun skips a submission
  whose log exists with the same digest and whose autograded folder is there, and
  grades the rest (``force=True`` regrades everything). A grader killed at any point
  loses at most the submissions in flight. A lock file stops two graders running
  on one course at once.
* **Faults.** A notebook that is not valid JSON or nbformat, too large, missing or
  renamed, or that nbgrader cannot grade at all, is graded as a *substitute*: the
  released notebook with a first cell saying why (so every cell scores 0, the
  gradebook has the submission, and the student's feedback gives the reason).
  Faults inside the kernel are handled by ``SafeExecute``. Every reason goes into
  the verdict log (``faults``; harmless remarks such as a renamed notebook or ignored
  files go to ``notes``) and the instructor report.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing as mp
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import wait
from typing import Any

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from ..course.directory import Course
from ..course.paths import CONFIG_FILE
from .ledger import WORK_DIR, batch_submissions, is_done, submission_digest
from .preprocessors.safe_execute import SafeExecute
from .sandbox import Sandbox, SandboxUnavailable
from .tally import BatchError, Outcome, Tally
from .worker import worker_main

__all__ = ["WORK_DIR", "BatchError", "Outcome", "check_sandbox", "course_lock", "run_batch"]

LOCK_FILE = ".lab_autograde.lock"
#: Seconds a worker may spend on one submission beyond SafeExecute.notebook_timeout.
HARD_MARGIN_S = 300


# --- the parent's side ---------------------------------------------------------------------

class _Worker:
    """One worker process, its pipe and the submission it is grading."""

    def __init__(self, ctx: Any, args: tuple[Any, ...]) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=worker_main, args=(child, *args), daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.task: tuple[str, str, str | None] | None = None
        self.started = 0.0

    def stop(self, kill: bool = False) -> None:
        """Ask the worker to end (or kill it), then wait for it."""
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(None)
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


@contextlib.contextmanager
def course_lock(course: Course) -> Iterator[None]:
    """Hold the course's autograde lock (BatchError if another grader holds it)."""
    path = course.root / LOCK_FILE
    fh = open(path, "a+")  # noqa: SIM115
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise BatchError(f"another autograde is running on {course.root} (lock {path})") from None
    try:
        yield
    finally:
        fh.close()


def check_sandbox(course: Course, unsafe_no_sandbox: bool = False,
                  warn: Callable[[str], None] | None = None) -> None:
    """Refuse (BatchError) when the sandbox cannot start, unless opted out."""
    if unsafe_no_sandbox:
        if warn:
            warn("WARNING: --unsafe-no-sandbox: students' code runs WITHOUT the sandbox, with "
                 "the grader's permissions, network and files (the course secret, the gradebook, "
                 "other students' submissions). Only grade code you trust this way.")
        return
    try:
        Sandbox(config=_course_config(course)).probe()
    except SandboxUnavailable as exc:
        raise BatchError(f"refusing to autograde: the sandbox cannot start: {exc}") from None


def run_batch(course: Course, students: Sequence[str] = (), lessons: Sequence[str] = (), *,
              workers: int | None = None, scheduler: str | None = None, force: bool = False,
              unsafe_no_sandbox: bool = False,
              progress: Callable[[Outcome], None] | None = None, show_bar: bool = False,
              warn: Callable[[str], None] | None = None,
              hard_limit_s: float | None = None) -> list[Outcome]:
    """Autograde the course's submissions (see the module docstring); the outcomes,
    skipped ones included (``Outcome.skipped``). With ``scheduler`` (a Dask scheduler's
    address, or ``"local"`` to start one with ``workers`` processes), a Dask cluster grades
    them (:mod:`grader.autograde.dask_engine`); the merge and resume are the same."""
    course.require()
    workers = max(1, workers or os.cpu_count() or 1)
    with course_lock(course):
        pairs = batch_submissions(course, students, lessons)
        digests = {p: submission_digest(course.submitted / p[0] / p[1]) for p in pairs}
        done = [] if force else [p for p in pairs if is_done(course, *p, digests[p])]
        todo = [p for p in pairs if p not in set(done)]
        outcomes = [Outcome(s, lesson, True, 0.0, skipped=True) for s, lesson in done]
        if not todo:
            return outcomes
        if scheduler is None or unsafe_no_sandbox:  # a Dask cluster's workers probe their own
            check_sandbox(course, unsafe_no_sandbox, warn)
        _fresh_work_dir(course)
        cfg = _course_config(course)
        hard = hard_limit_s or (SafeExecute(config=cfg).notebook_timeout + HARD_MARGIN_S)
        with Tally(course, todo, digests, progress, show_bar) as tally:
            if scheduler is None:
                _Pool(tally, min(workers, len(todo)),
                      _overrides(cfg, workers, unsafe_no_sandbox), hard).run()
            else:
                from .dask_engine import grade_on_dask  # imports dask only when asked for

                grade_on_dask(tally, scheduler, workers, _overrides(cfg, 0, unsafe_no_sandbox),
                              hard, auto_threads=not cfg.get("Sandbox", {}).get("threads"),
                              warn=warn)
        outcomes += tally.outcomes
        # Kept when the batch stops on an error (the workers' logs are there); the next
        # run clears it.
        shutil.rmtree(course.root / WORK_DIR, ignore_errors=True)
    return outcomes


def _course_config(course: Course) -> Config:
    """The course's nbgrader configuration (its ``nbgrader_config.py``, which loads
    ``lab_config.py``)."""
    return PyFileConfigLoader(CONFIG_FILE, path=str(course.root)).load_config()


def _fresh_work_dir(course: Course) -> None:
    """An empty work folder holding the gradebook's snapshot (``template.db``)."""
    if not course.db_path.exists():
        raise BatchError(f"{course.db_path} does not exist: release the lessons first")
    work = course.root / WORK_DIR
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    shutil.copyfile(course.db_path, work / "template.db")


def _overrides(cfg: Config, workers: int, unsafe_no_sandbox: bool) -> dict[str, dict[str, Any]]:
    """Settings the workers apply over the course's configuration (with ``workers`` 0,
    the kernels' threads are left to the engine)."""
    overrides: dict[str, dict[str, Any]] = {}
    if unsafe_no_sandbox:
        overrides.setdefault("Sandbox", {})["unsafe_no_sandbox"] = True
    if workers and not cfg.get("Sandbox", {}).get("threads"):
        overrides.setdefault("Sandbox", {})["threads"] = max(1, (os.cpu_count() or 1) // workers)
    return overrides


class _Pool:
    """The worker processes of one batch and the submissions left to give them; a
    worker that dies or overruns ``hard`` seconds is replaced and its submission
    graded once more as a substitute, then recorded as an error. Results go to the
    batch's :class:`~grader.autograde.tally.Tally`."""

    def __init__(self, tally: Tally, workers: int, overrides: dict[str, dict[str, Any]],
                 hard: float) -> None:
        self.tally, self.course, self.hard = tally, tally.course, hard
        self.ctx = mp.get_context("spawn")
        self.args = (str(self.course.root), str(self.course.root / WORK_DIR), overrides)
        self.queue: list[tuple[str, str, str | None]] = [(s, lesson, None)
                                                         for s, lesson in tally.todo]
        self.retried: set[tuple[str, str]] = set()
        self.workers = workers
        self.deaths = 0

    def run(self) -> None:
        """Grade every submission of the tally."""
        pool = [_Worker(self.ctx, self.args) for _ in range(self.workers)]
        try:
            while not self.tally.done:
                for w in pool:
                    self._dispatch(w)
                ready = wait([w.conn for w in pool] + [w.process.sentinel for w in pool], timeout=5)
                for i, w in enumerate(list(pool)):
                    lost = self._poll(w, ready)
                    if lost is not None:
                        self._lose(w, lost)
                        pool[i] = _Worker(self.ctx, self.args)
        finally:
            for w in pool:
                w.stop(kill=w.task is not None)

    def _dispatch(self, w: _Worker) -> None:
        """Give an idle, ready worker the next submission."""
        if self.queue and w.ready and w.task is None:
            w.task = self.queue.pop(0)
            w.started = time.monotonic()
            w.conn.send(w.task)

    def _poll(self, w: _Worker, ready: list[Any]) -> str | None:
        """Take in what ``w`` sent (ready, or a graded submission, merged here); why
        it is lost (died or overran), or None."""
        if w.conn in ready or w.process.sentinel in ready:
            try:
                kind, payload = w.conn.recv() if w.conn.poll() else (None, None)
            except (EOFError, OSError):
                kind, payload = None, None
            if kind == "ready":
                w.ready = True
            elif kind == "done":
                w.task = None
                self.tally.merged(payload)
            elif not w.process.is_alive():
                return f"the grading process died (exit code {w.process.exitcode})"
        if w.task is not None and time.monotonic() - w.started > self.hard:
            return f"grading took longer than {self.hard:.0f} s and was stopped"
        return None

    def _lose(self, w: _Worker, lost: str) -> None:
        """Stop a lost worker; its submission is queued again once, then an error."""
        self.deaths += 1
        if self.deaths > 2 * self.workers + len(self.tally.todo):
            raise BatchError(f"grading processes keep dying ({lost}); see "
                             f"{self.course.root / WORK_DIR}/worker-*.log")
        task = w.task
        w.stop(kill=True)
        if task is None:
            return
        key = (task[0], task[1])
        if key in self.retried:
            self.tally.failed(key[0], key[1], lost, self.hard)
        else:
            self.retried.add(key)
            self.queue.insert(0, (key[0], key[1], lost))
