"""Grading on a Dask cluster (``pretraining-lab autograde --scheduler``), end to end: a
real ``dask scheduler`` and two ``dask worker`` processes on localhost grade the samples
with the same score in every cell as local workers and as sequential grading; a Dask
worker SIGKILLed while it grades loses nothing (its submission is graded again on the
other worker and counted once); ``--scheduler local`` through the CLI. The parent's
count-once rule (:class:`grader.autograde.tally.Tally`) is also checked on its own."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.autograde.batch import WORK_DIR, run_batch
from grader.autograde.results import cell_scores
from grader.autograde.tally import Tally
from grader.course.directory import Course
from grader.course.paths import COURSE_ID
from grader.demo import prepare
from tests.grader.data import dev_lesson
from tests.grader.sandbox_support import (
    give_to_user,
    remove_folder,
    require_bwrap,
    run_as_user,
    user_folder,
)

LESSON = dev_lesson.LESSON
KINDS = ["correct", "empty", "mistake", "warning"]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    require_bwrap()
    base = tmp_path_factory.mktemp("dask")
    solutions = base / "solutions"
    dev_lesson.write(solutions)
    course, samples = prepare(base / "template", [LESSON], solutions_dir=solutions, kinds=KINDS,
                              max_mistakes=1, out=lambda line: None)
    return course, samples


def _copy(course: Course, dest: Path) -> Course:
    shutil.copytree(course.root, dest)
    return Course(dest)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dask_cluster(logs: Path, workers: int = 2, nanny: bool = True) -> Iterator[str]:
    """A ``dask scheduler`` and ``workers`` ``dask worker`` processes (one thread each) on
    localhost, as an instructor starts them by hand; the scheduler's address."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen] = []

    def start(name: str, args: list[str]) -> None:
        with open(logs / f"{name}.log", "w") as fh:
            procs.append(subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, stdout=fh,
                                          stderr=subprocess.STDOUT))

    start("scheduler", ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                        str(port), "--no-dashboard"])
    for i in range(workers):
        start(f"worker{i}", ["distributed.cli.dask_worker", address, "--nthreads", "1",
                             "--no-dashboard", "--memory-limit", "0", "--name", f"w{i}",
                             *([] if nanny else ["--no-nanny"])])
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=180)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _gradebook_students(course: Course) -> list[str]:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, COURSE_ID) as gb:
        return sorted(s.student.id for s in gb.find_assignment(LESSON).submissions)


@pytest.mark.slow
def test_local_dask_and_sequential_grading_give_the_same_scores(template, tmp_path):
    """The same submissions graded sequentially (one worker), by two local workers and by
    a Dask scheduler with two Dask workers: every cell's score is the same in the three
    gradebooks and is the score each sample deserves; a rerun on Dask grades nothing."""
    course, samples = template
    seq, local, dask = (_copy(course, tmp_path / name) for name in ("seq", "local", "dask"))
    assert all(o.ok for o in run_batch(seq, workers=1))
    assert all(o.ok for o in run_batch(local, workers=2))
    with dask_cluster(tmp_path / "logs") as address:
        outcomes = run_batch(dask, scheduler=address)
        again = run_batch(dask, scheduler=address)
    assert all(o.ok and not o.skipped for o in outcomes), [o.error for o in outcomes]
    assert sorted(o.student for o in outcomes) == sorted(s.student for s in samples)
    assert all(o.skipped for o in again) and len(again) == len(samples)
    for s in samples:
        got = cell_scores(dask, s.student, LESSON)
        assert got == cell_scores(local, s.student, LESSON) == cell_scores(seq, s.student, LESSON)
        assert got == s.expected, s.kind
    assert not (dask.root / WORK_DIR).exists()


def _add_twins(course: Course, samples: list) -> dict[str, dict]:
    """Each sample submitted once more under another student id: student -> expected scores."""
    expected = {s.student: s.expected for s in samples}
    for s in samples:
        twin = f"{s.student}-twin"
        shutil.copytree(course.submitted / s.student, course.submitted / twin)
        expected[twin] = s.expected
    return expected


def _kill_a_grading_worker(client, course: Course, pids: dict[str, int]) -> list[str]:
    """Wait until a Dask worker grades (its private course is there), SIGKILL it; the
    keys of the tasks it held."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        busy = {addr: keys for addr, keys in client.processing().items() if keys}
        started = list((course.root / WORK_DIR).glob(f"dask-*/{LESSON}--*"))
        if busy and started:
            time.sleep(1.0)  # mid-submission: the kernel is starting or running
            busy = {addr: keys for addr, keys in client.processing().items() if keys}
            if busy:
                addr, keys = next(iter(busy.items()))
                os.kill(pids[addr], signal.SIGKILL)
                return [str(k) for k in keys]
        time.sleep(0.1)
    raise AssertionError("no Dask worker started grading")


@pytest.mark.slow
def test_killed_dask_worker_loses_nothing(template, tmp_path):
    """A Dask worker SIGKILLed while it grades: its submission is graded again on the other
    worker, and every submission ends in the gradebook exactly once, with a `graded`
    verdict log and the score it deserves."""
    from distributed import Client

    course, samples = template
    c = _copy(course, tmp_path / "killed")
    expected = _add_twins(c, samples)
    with dask_cluster(tmp_path / "logs", nanny=False) as address, \
            Client(address, timeout=60) as client:
        pids = client.run(os.getpid)
        result: dict = {}
        grader = threading.Thread(target=lambda: result.update(out=run_batch(c, scheduler=address)))
        grader.start()
        killed = _kill_a_grading_worker(client, c, pids)
        grader.join(timeout=600)
        assert not grader.is_alive(), "the batch did not finish"
        assert len(client.nthreads()) == 1, "the killed worker is still there"
    outcomes = result["out"]
    assert killed and all(k.startswith(f"grade-{LESSON}-") for k in killed)
    assert sorted(o.student for o in outcomes) == sorted(expected), "each counted once"
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert _gradebook_students(c) == sorted(expected)
    for student, scores in expected.items():
        assert cell_scores(c, student, LESSON) == scores, student
        log = json.loads((c.verdicts / LESSON / f"{student}.json").read_text())
        assert log["status"] == "graded" and log["digest"]
    assert not (c.root / WORK_DIR).exists()


@pytest.mark.slow
def test_scheduler_local_through_the_cli(template, tmp_path):
    """``pretraining-lab autograde --scheduler local --workers 2`` starts a local Dask
    cluster and grades every sample with the score it deserves."""
    course, samples = template
    c = _copy(course, tmp_path / "cli")
    done = subprocess.run([sys.executable, "-m", "grader.cli", "autograde", "--course",
                           str(c.root), "--scheduler", "local", "--workers", "2",
                           "--no-progress"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"autograded {len(samples)} of {len(samples)} submissions" in done.stdout
    for s in samples:
        assert cell_scores(c, s.student, LESSON) == s.expected, s.kind


@pytest.mark.slow
def test_the_readme_jobqueue_recipe_with_local_jobs(template, tmp_path):
    """The README's dask-jobqueue recipe (a cluster whose workers are batch jobs, the
    scheduler in this process), with dask-jobqueue's own LocalCluster: the same generated
    job script as SLURMCluster and PBSCluster, run as a local process instead of submitted.
    One job of two single-threaded workers grades every sample with the score it deserves."""
    from dask_jobqueue.local import LocalCluster as JobQueueCluster

    course, samples = template
    c = _copy(course, tmp_path / "jobqueue")
    cluster = JobQueueCluster(cores=2, processes=2, memory="4GB", python=sys.executable,
                              worker_extra_args=["--memory-limit", "0"],
                              scheduler_options={"host": "127.0.0.1", "dashboard_address": ":0"})
    assert "--nthreads 1" in cluster.job_script() and "--nworkers 2" in cluster.job_script()
    cluster.scale(jobs=1)
    try:
        outcomes = run_batch(c, scheduler=cluster.scheduler_address)
    finally:
        cluster.close()
    assert len(outcomes) == len(samples) and all(o.ok for o in outcomes)
    for s in samples:
        assert cell_scores(c, s.student, LESSON) == s.expected, s.kind


USER_BATCH = """
import json
from grader.autograde.batch import run_batch
from grader.course.directory import Course
out = run_batch(Course(ROOT), workers=2, scheduler="local")
print(json.dumps([{"student": o.student, "ok": o.ok, "error": o.error} for o in out]))"""


@pytest.mark.slow
def test_dask_workers_grade_as_an_ordinary_user(template):
    """As an ordinary user (what a SLURM or PBS job is), a local Dask cluster's workers
    grade in the sandbox's user mode, each kernel forked warm in its worker's slot; every
    sample gets the score it deserves."""
    course, samples = template
    base = user_folder("lab-dask-user-")
    try:
        c = _copy(course, base / "course")
        give_to_user(base)
        outcomes = run_as_user(USER_BATCH.replace("ROOT", repr(str(c.root))), timeout=900)
        assert len(outcomes) == len(samples) and all(o["ok"] for o in outcomes), outcomes
        for s in samples:
            assert cell_scores(c, s.student, LESSON) == s.expected, s.kind
            log = json.loads((c.verdicts / LESSON / f"{s.student}.json").read_text())
            assert log["kernel"] == "warm", (s.student, log["kernel"])
    finally:
        remove_folder(base)


def test_a_submission_is_counted_once(tmp_path):
    """The parent's tally counts each (student, lesson) of the batch once: a second result
    for it (a Dask task run again after its worker died) or one it did not ask for is
    dropped, and nothing is written for it."""
    course = Course(tmp_path)
    with Tally(course, [("ana", LESSON), ("bo", LESSON)], {}) as tally:
        first = tally.failed("ana", LESSON, "the worker died")
        assert first is not None and not first.ok and first.error == "the worker died"
        assert tally.failed("ana", LESSON, "again") is None
        assert tally.merged({"student": "ana", "lesson": LESSON, "ok": True}) is None
        assert tally.failed("zoe", LESSON, "not in the batch") is None
        assert not tally.done and tally.left() == 1
        assert tally.failed("bo", LESSON, "no") is not None
        assert tally.done
    assert [o.student for o in tally.outcomes] == ["ana", "bo"]
    log = json.loads((course.verdicts / LESSON / "ana.json").read_text())
    assert log["status"] == "error" and log["reason"] == "the worker died"
    assert not (course.verdicts / LESSON / "zoe.json").exists()


def _grade_or_die(student: str, lesson: str, fallback: str | None) -> dict:
    """A stand-in for grade_task: ``bad`` always kills its worker process, ``flaky``
    only when graded as submitted (not as a substitute)."""
    if student == "bad" or (student == "flaky" and fallback is None):
        os._exit(1)
    return {"student": student, "lesson": lesson, "fallback": fallback}


class _Recorder:
    """What the engine hands to the batch's tally."""

    def __init__(self, todo: list[tuple[str, str]]) -> None:
        self.todo, self.results, self.failures = todo, [], []

    def merged(self, result: dict) -> None:
        self.results.append(result)

    def failed(self, student: str, lesson: str, reason: str, seconds: float = 0.0) -> None:
        self.failures.append((student, lesson, reason))


@pytest.mark.slow
def test_a_submission_that_kills_its_workers_is_substituted_then_an_error():
    """``KilledWorker`` (the scheduler gave up on a task whose workers died): the
    submission is submitted once more as a substitute, with the reason; if that kills
    its worker too, it is counted as an error with the reason (the local pool's rule)."""
    import dask
    from distributed import Client, LocalCluster

    from grader.autograde.dask_engine import _collect

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=50)
    with cluster, Client(cluster) as client:
        for student in ("flaky", "bad"):
            tally, sent = _Recorder([(student, LESSON)]), []

            def submit(s: str, lesson: str, fallback: str | None, sent=sent) -> object:
                sent.append(fallback)
                return client.submit(_grade_or_die, s, lesson, fallback, pure=False)

            _collect(tally, submit, hard=60.0)
            assert len(sent) == 2 and sent[0] is None and "died" in sent[1], student
            if student == "flaky":
                assert tally.results == [{"student": "flaky", "lesson": LESSON,
                                          "fallback": sent[1]}] and not tally.failures
            else:
                assert tally.failures == [("bad", LESSON, sent[1])] and not tally.results
