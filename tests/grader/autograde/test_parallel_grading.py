"""Parallel and resumable grading, end to end (``pretraining-lab autograde``):
the same batch graded by one worker and by two gets the same score in every cell,
and a grader killed with SIGKILL mid-batch, then run again, grades every
submission exactly once with the right scores."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.autograde.batch import WORK_DIR, run_batch
from grader.autograde.results import cell_scores
from grader.course.directory import Course
from grader.course.paths import COURSE_ID
from grader.demo import prepare
from tests.grader.data import dev_lesson
from tests.grader.sandbox_support import require_bwrap

pytestmark = pytest.mark.slow

LESSON = dev_lesson.LESSON
KINDS = ["correct", "empty", "mistake", "warning"]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    require_bwrap()
    base = tmp_path_factory.mktemp("parallel")
    solutions = base / "solutions"
    dev_lesson.write(solutions)
    course, samples = prepare(base / "template", [LESSON], solutions_dir=solutions, kinds=KINDS,
                              max_mistakes=1, out=lambda line: None)
    return course, samples


def _copy(course: Course, dest: Path) -> Course:
    shutil.copytree(course.root, dest)
    return Course(dest)


def test_one_and_two_workers_give_the_same_scores(template, tmp_path):
    """The same submissions graded with 1 and with 2 workers: every cell's score is the
    same in both gradebooks, and it is the score each sample deserves."""
    course, samples = template
    one, two = _copy(course, tmp_path / "one"), _copy(course, tmp_path / "two")
    assert all(o.ok for o in run_batch(one, workers=1))
    assert all(o.ok for o in run_batch(two, workers=2))
    for s in samples:
        got_one = cell_scores(one, s.student, LESSON)
        assert got_one == cell_scores(two, s.student, LESSON)
        assert got_one == s.expected, s.kind


def test_killed_grader_resumes_without_loss_or_double_counting(template, tmp_path):
    """The CLI grader is SIGKILLed once a submission has been committed; a rerun skips what
    was committed, grades the rest, and every submission is in the gradebook once with its
    deserved scores; a third run grades nothing."""
    from nbgrader.api import Gradebook

    course, samples = template
    c = _copy(course, tmp_path / "killed")
    # `pretraining-lab autograde`, as this interpreter runs the console script
    proc = subprocess.Popen([sys.executable, "-m", "grader.cli", "autograde", "--course",
                             str(c.root), "--workers", "1",
                             "--no-progress", "-q"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    logs = c.verdicts / LESSON
    while time.monotonic() < deadline and proc.poll() is None:
        if logs.is_dir() and any("digest" in p.read_text() for p in logs.glob("*.json")):
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the grader finished before it could be killed"
    proc.kill()
    proc.wait()
    merged_before = len(list(logs.glob("*.json")))
    assert 1 <= merged_before < len(samples)

    outcomes = run_batch(c, workers=2)
    assert len(outcomes) == len(samples) and all(o.ok for o in outcomes)
    skipped = [o for o in outcomes if o.skipped]
    assert 1 <= len(skipped) < len(samples)
    with Gradebook(c.db_url, COURSE_ID) as gb:
        subs = gb.find_assignment(LESSON).submissions
        assert sorted(s.student.id for s in subs) == sorted(s.student for s in samples)
    for s in samples:
        assert cell_scores(c, s.student, LESSON) == s.expected, s.kind
        log = json.loads((logs / f"{s.student}.json").read_text())
        assert log["status"] == "graded" and log["digest"]
    assert not (c.root / WORK_DIR).exists()
    again = run_batch(c, workers=2)
    assert all(o.skipped for o in again)
