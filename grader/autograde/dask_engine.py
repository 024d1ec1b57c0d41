"""Grading a batch on a Dask cluster (``pretraining-lab autograde --scheduler ADDRESS``).

The batch (:func:`grader.autograde.batch.run_batch`) is the same as with local workers:
the same lock, digests and resume rule; only who grades changes.

* **One task per submission.** :func:`grade_task` runs
  :func:`grader.autograde.worker.grade_private` on a Dask worker, in a private copy of the
  course under ``<course>/.lab_work/dask-<batch>/``, and returns its plain data. The parent
  gathers the results as they complete (``as_completed``) and hands each to the batch's
  :class:`~grader.autograde.tally.Tally`: the parent alone merges into the gradebook, one
  submission at a time, and counts each submission once, by (student, lesson).
* **Shared file system.** Workers read the submissions and write their private courses
  where the parent reads them: the course folder must be at the same path on every worker
  (NFS, Lustre, ...), with the same Python environment and bubblewrap. Before the batch,
  each worker checks that it sees the batch's gradebook snapshot and can start the sandbox;
  the batch refuses (``BatchError``) with what a worker lacks.
* **One submission at a time per worker process.** A worker process claims its own sandbox
  uid slot (:mod:`grader.autograde.slots`, a lock file held for the process's life), so its
  kernels never share a uid with another worker's; with ``--nthreads`` above 1 the tasks of
  one process wait for each other. nbgrader and torch are imported once per process.
* **Killed workers.** Dask runs a task again elsewhere when its worker dies (up to the
  scheduler's ``distributed.scheduler.allowed-failures``; ``--scheduler local`` sets
  :data:`ALLOWED_FAILURES`); the first result that comes back is the one merged. A
  submission whose workers keep dying (``KilledWorker``) is graded once more as a
  substitute, like the local pool does, then recorded as an error with the reason.
* **Hard limit.** A submission that runs past the batch's hard limit ends its worker
  process (a watchdog; the nanny starts a new one), which counts as a killed worker.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
import shutil
import socket
import sys
import threading
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from traitlets.config.loader import PyFileConfigLoader

from ..course.paths import CONFIG_FILE
from . import warm
from .ledger import WORK_DIR
from .sandbox import Sandbox, SandboxUnavailable
from .slots import claim_uid
from .tally import BatchError, Tally
from .worker import grade_private

__all__ = ["ALLOWED_FAILURES", "LOCAL", "grade_on_dask", "grade_task", "probe_worker"]

#: ``--scheduler local``: start a LocalCluster of ``--workers`` processes on this machine.
LOCAL = "local"
#: A local cluster's ``distributed.scheduler.allowed-failures``: a task is run again after
#: its worker died this many times before the parent sees ``KilledWorker``.
ALLOWED_FAILURES = 2
#: Exit status of a worker process that the watchdog ended (a submission over the hard limit).
OVERRAN_EXIT = 70

_GRADING = threading.Lock()
_WARM = False


# --- the worker's side --------------------------------------------------------------------

def grade_task(course_root: str, work_root: str, student: str, lesson: str,
               overrides: dict[str, dict[str, Any]], fallback: str | None, hard: float,
               threads: dict[str, int] | None = None) -> dict[str, Any]:
    """A Dask task: grade one submission on this worker (one at a time per process, so
    that its kernel has the process's own uid slot); ``grade_private``'s plain data.
    ``threads``: the kernels' torch threads per host name (None: the course sets them)."""
    # nbgrader's warnings stay off the worker's terminal, as the local pool's workers do.
    with _GRADING, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _warm_up()
        if threads is not None:
            sandbox = {**overrides.get("Sandbox", {}),
                       "threads": threads.get(socket.gethostname(), 1)}
            overrides = {**overrides, "Sandbox": sandbox}
        watchdog = threading.Timer(hard, _overran, (student, lesson, hard))
        watchdog.daemon = True
        watchdog.start()
        try:
            return grade_private(course_root, work_root, student, lesson, overrides, fallback)
        finally:
            watchdog.cancel()


def _warm_up() -> None:
    """Import nbgrader and torch once per worker process (as the local pool's workers do)."""
    global _WARM
    if _WARM:
        return
    import nbgrader.apps  # noqa: F401
    import torch

    # The trusted re-computation works on small tensors: one thread (see worker_main).
    torch.set_num_threads(1)
    # Kernels are forked in this process's long-lived sandbox (grader/autograde/warm.py);
    # it ends with the Dask worker.
    warm.enable()
    _WARM = True


def _overran(student: str, lesson: str, hard: float) -> None:
    """The watchdog: end this worker process; Dask runs the submission again elsewhere
    and, once its workers died too often, the parent grades it as a substitute."""
    sys.stderr.write(f"pretraining-lab: {lesson} {student} ran past the hard limit of "
                     f"{hard:.0f} s; ending this worker process\n")
    sys.stderr.flush()
    os._exit(OVERRAN_EXIT)


def probe_worker(course_root: str, work_root: str, unsafe: bool) -> dict[str, Any]:
    """Run on each worker before the batch: its host name, cores, and why it cannot
    grade (the shared course folder not visible, no sandbox), or None."""
    info: dict[str, Any] = {"host": socket.gethostname(), "cpus": os.cpu_count() or 1,
                            "error": None}
    if not (Path(work_root) / "template.db").is_file():
        info["error"] = (f"it does not see {work_root}/template.db: the course folder must be "
                         "on a file system the workers share, at the same path")
    elif not unsafe:
        info["error"] = _probe_sandbox(course_root)
    return info


def _probe_sandbox(course_root: str, tries: int = 2) -> str | None:
    """Why the sandbox cannot start on this worker, or None. In root mode the probe runs as
    this process's own uid slot (the one its kernels will use), so that no other grader
    on the node, claiming or clearing a uid, kills it midway; a failure is tried again."""
    cfg = PyFileConfigLoader(CONFIG_FILE, path=course_root).load_config()
    sandbox = Sandbox(config=cfg)
    why = None
    for _ in range(tries):
        try:
            if getattr(sandbox, "resolved_mode", lambda: "root")() == "root":
                uid = claim_uid(sandbox.uid_base, sandbox.slots).uid
                Sandbox(config=cfg, uid_base=uid).probe()
            else:
                sandbox.probe()
            return None
        except SandboxUnavailable as exc:
            why = f"the sandbox cannot start there: {exc}"
    return why


# --- the parent's side --------------------------------------------------------------------

def grade_on_dask(tally: Tally, scheduler: str, workers: int,
                  overrides: dict[str, dict[str, Any]], hard: float, *,
                  auto_threads: bool = True,
                  warn: Callable[[str], None] | None = None) -> None:
    """Grade every submission of ``tally`` on the Dask cluster at ``scheduler`` (or a
    local one of ``workers`` processes, :data:`LOCAL`); see the module docstring."""
    course = tally.course
    work = course.root / WORK_DIR / f"dask-{uuid.uuid4().hex[:12]}"
    work.mkdir()
    shutil.copyfile(course.root / WORK_DIR / "template.db", work / "template.db")
    unsafe = bool(overrides.get("Sandbox", {}).get("unsafe_no_sandbox"))
    with _client(scheduler, min(workers, len(tally.todo))) as client:
        threads = _check_workers(client, str(course.root), str(work), unsafe, warn)

        def submit(student: str, lesson: str, fallback: str | None) -> Any:
            return client.submit(grade_task, str(course.root), str(work), student, lesson,
                                 overrides, fallback, hard, threads if auto_threads else None,
                                 key=f"grade-{lesson}-{student}-{uuid.uuid4().hex[:8]}",
                                 pure=False)

        _collect(tally, submit, hard)


@contextlib.contextmanager
def _client(scheduler: str, workers: int) -> Iterator[Any]:
    """A client of the scheduler at ``scheduler``, or of a new local cluster."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler != LOCAL:
        try:
            client = Client(scheduler, timeout=60)
        except (OSError, TimeoutError, ValueError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            yield client
        return
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        # memory_limit=0: the sandbox bounds each kernel's memory; the nanny must not
        # restart a worker for the memory of the kernels it started.
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR,
                               memory_limit=0)
    with cluster, Client(cluster) as client:
        yield client


def _check_workers(client: Any, course_root: str, work_root: str, unsafe: bool,
                   warn: Callable[[str], None] | None) -> dict[str, int]:
    """Wait for a worker, probe each (BatchError with what they lack); the kernels' torch
    threads per host: its cores divided by its workers' threads."""
    if not client.nthreads():
        if warn:
            warn(f"waiting for Dask workers to join the scheduler at {client.scheduler.address}")
        client.wait_for_workers(1)
    infos = client.run(probe_worker, course_root, work_root, unsafe)
    bad = [f"{addr}: {info['error']}" for addr, info in infos.items() if info["error"]]
    if bad:
        raise BatchError("these Dask workers cannot grade: " + "; ".join(bad))
    nthreads = client.nthreads()
    per_host: Counter[str] = Counter()
    for addr, info in infos.items():
        per_host[info["host"]] += nthreads.get(addr, 1)
    cpus = {info["host"]: info["cpus"] for info in infos.values()}
    return {host: max(1, cpus[host] // n) for host, n in per_host.items()}


def _collect(tally: Tally, submit: Callable[[str, str, str | None], Any], hard: float) -> None:
    """Submit every submission of ``tally``, and hand each result to it as it completes;
    a submission whose workers keep dying is submitted once more as a substitute, then
    counted as an error."""
    from distributed import KilledWorker, as_completed

    pending = {submit(s, lesson, None): (s, lesson, None) for s, lesson in tally.todo}
    completed = as_completed(list(pending))
    try:
        for future in completed:
            student, lesson, fallback = pending.pop(future)
            try:
                result = future.result()
            except KilledWorker as exc:
                n = exc.allowed_failures + 1
                lost = (f"the Dask worker grading it died{f' {n} times' if n > 1 else ''} "
                        f"(killed, out of memory, or past the hard limit of {hard:.0f} s)")
                if fallback is None:
                    again = submit(student, lesson, lost)
                    pending[again] = (student, lesson, lost)
                    completed.add(again)
                else:
                    tally.failed(student, lesson, lost)
            except concurrent.futures.CancelledError:
                raise BatchError("the Dask scheduler dropped the batch's tasks (it stopped, "
                                 "or lost this grader); rerun to grade the rest") from None
            except Exception as exc:  # noqa: BLE001 - one task's error must not stop the batch
                tally.failed(student, lesson, f"the Dask task failed: {type(exc).__name__}: {exc}")
            else:
                tally.merged(result)
            future.release()
    finally:
        for future in pending:
            future.cancel()
