"""End to end through the real pipeline (``grader.autograde.batch.run_batch``: worker pool,
nbgrader, the sandbox, the merge): the fault bank and the adversarial bank of
``tests.grader.data.bank`` graded in one batch of the development lesson, beside
correct submissions that must keep full marks.

Each fault ends or degrades only its own notebook, with its reason in the verdict
log, the report and the feedback; each trick scores no more than the stubs it
started from (0); the instructor's files are untouched; no sandbox process is left;
nothing reached the network.

Both modes of the sandbox: as root (root mode), and as an ordinary user who owns the
course (user mode: ``pretraining-lab autograde`` as a cluster job or a JupyterHub
account would run it, see ``tests.grader.sandbox_support``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import socket
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from grader.autograde.batch import run_batch
from grader.autograde.results import cell_scores, generate_feedback
from grader.autograde.sandbox import Sandbox
from grader.autograde.slots import LOCK_DIR, uid_processes
from grader.course.paths import PROJECT_ROOT
from grader.course.samples import notebook_cells
from grader.demo import prepare
from grader.report import report
from tests.grader.data import bank, dev_lesson
from tests.grader.sandbox_support import (
    LEFT_BEHIND,
    MODES,
    give_to_user,
    remove_folder,
    require_bwrap,
    run_as_user,
    user_folder,
)

pytestmark = pytest.mark.slow

LESSON = dev_lesson.LESSON
# The other sample kinds (empty, warning, monkeypatch, edited and tampered tests) are
# graded by test_e2e; here the banks are what matters.
SAMPLE_KINDS = ["correct"]
#: Shorter limits so the bank stays quick (the course's defaults are in nbgrader_config.py);
#: a cell must still have time to import torch on a loaded machine.
TEST_CONFIG = """
c.Execute.timeout = 30
c.SafeExecute.notebook_timeout = 150
c.Sandbox.memory = 3 * 1024**3
c.Sandbox.folder_size = 256 * 1024**2
"""


def leftovers() -> dict[int, list[int]]:
    """Processes of sandbox uids that no live grader holds (other graders on this
    machine may be using theirs)."""
    sandbox = Sandbox()
    left = {}
    for uid in range(sandbox.uid_base, sandbox.uid_base + sandbox.slots):
        with open(LOCK_DIR / f"uid-{uid}.lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # in use by a grader that is running now
            pids = uid_processes(uid)
            if pids:
                left[uid] = pids
    return left


def digest_tree(*roots: Path) -> dict[str, str]:
    out = {}
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for p in files:
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


#: The batch run as the ordinary user (user mode); prints the outcomes and what is left
#: running of the processes it started (see LEFT_BEHIND) as JSON.
RUN_AS_USER = LEFT_BEHIND + """import json
from grader.autograde.batch import run_batch
from grader.course.directory import Course
out = run_batch(Course(ROOT), workers=2)
print(json.dumps({"outcomes": [{"student": o.student, "ok": o.ok, "error": o.error} for o in out],
                  "left": left()}))"""


@pytest.fixture(scope="module", params=MODES)
def graded(request, tmp_path_factory):
    require_bwrap()
    mode = request.param
    base = tmp_path_factory.mktemp("safe") if mode == "root" else user_folder("lab-safe-")
    if mode == "user":
        request.addfinalizer(lambda: remove_folder(base))
    solutions = base / "solutions"
    dev_lesson.write(solutions)
    course, samples = prepare(base / "course", [LESSON], solutions_dir=solutions,
                              kinds=SAMPLE_KINDS, max_mistakes=1, out=lambda line: None)
    with open(course.config_path, "a") as fh:
        fh.write(TEST_CONFIG)
    release = nbformat.read(str(course.release_dir / LESSON / f"{LESSON}.ipynb"), as_version=4)
    source = nbformat.read(str(course.source / LESSON / f"{LESSON}.ipynb"), as_version=4)
    full = notebook_cells.test_cells(release)
    correct = notebook_cells.fill(release, notebook_cells.solution_sources(source))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    cases = bank.faults(correct, LESSON, full)
    cases += bank.tricks(release, full, course_root=course.root, project_root=PROJECT_ROOT,
                         port=listener.getsockname()[1])
    cases.append(bank.correct_extras(correct, full))
    cases.append(bank.correct_as_exchanged(correct, full, course.release_dir / LESSON))
    for case in cases:
        case.write(course.submitted / case.student / LESSON)
    protected = digest_tree(course.source, course.release_dir, course.submitted, course.secret_path,
                            course.config_path, solutions)
    if mode == "root":
        outcomes, left = run_batch(course, workers=2), None
    else:
        give_to_user(base)
        ran = run_as_user(RUN_AS_USER.replace("ROOT", repr(str(course.root))), timeout=1800)
        outcomes, left = [SimpleNamespace(**o) for o in ran["outcomes"]], ran["left"]
    try:
        conn, _ = listener.accept()
        conn.close()
        reached = True
    except BlockingIOError:
        reached = False
    listener.close()
    return course, samples, cases, outcomes, protected, solutions, (reached, mode, left)


def test_every_submission_is_graded(graded):
    course, samples, cases, outcomes, *_ = graded
    assert len(outcomes) == len(samples) + len(cases)
    assert all(o.ok for o in outcomes), [(o.student, o.error) for o in outcomes if not o.ok]


def test_every_kernel_was_warm(graded):
    """The batch's workers forked every kernel in their warm slots (grader/autograde/warm.py),
    in both modes of the sandbox: the banks above ran against warm kernels."""
    course, samples, cases, *_ = graded
    for student in [s.student for s in samples] + [c.student for c in cases]:
        log = json.loads((course.verdicts / LESSON / f"{student}.json").read_text())
        assert log.get("kernel") == "warm", (student, log.get("kernel"))


def test_samples_keep_their_scores(graded):
    """The correct sample, graded in the same batch as the banks."""
    course, samples, *_ = graded
    for s in samples:
        assert cell_scores(course, s.student, LESSON) == s.expected, s.kind


def _check_expected(course, case) -> None:
    got = cell_scores(course, case.student, LESSON)
    assert set(got) == set(case.expected), case.student
    for gid, want in case.expected.items():
        if want is None:
            assert got[gid] is not None, (case.student, gid)
        else:
            assert got[gid] == want, (case.student, gid, got)


@pytest.mark.parametrize("kind", ["fault", "correct"])
def test_faults_cost_only_the_cells_they_reach(graded, kind):
    course, _, cases, *_ = graded
    for case in cases:
        if case.kind == kind:
            _check_expected(course, case)


def test_faults_are_recorded_with_a_plain_reason(graded):
    """Each fault's reason is in the verdict log's faults, or, for a harmless remark (a
    renamed notebook, ignored files), in its notes and not its faults; the report lists
    the two apart."""
    course, _, cases, *_ = graded
    text = report(course)
    faults, notes = text.split("Faults while grading")[1].split("Notes on submissions")
    for case in cases:
        if case.reason is None:
            continue
        log = json.loads((course.verdicts / LESSON / f"{case.student}.json").read_text())
        assert log["status"] == "graded"
        other = "notes" if case.reason_in == "faults" else "faults"
        assert any(case.reason.lower() in f.lower() for f in log[case.reason_in]), (case.student, log)
        assert not any(case.reason.lower() in f.lower() for f in log[other]), (case.student, log)
        assert case.student in (faults if case.reason_in == "faults" else notes)


def test_a_submission_from_the_exchange_is_neither_fault_nor_note(graded):
    """The files the lesson shipped come back with every submission through nbgrader's
    exchange: expected, so no fault and no note; nbgrader's bookkeeping files reach
    autograded/, where generate_feedback and release_feedback look for them."""
    course, *_ = graded
    log = json.loads((course.verdicts / LESSON / "correct-exchanged.json").read_text())
    assert log["faults"] == [] and log["notes"] == [], log
    folder = course.autograded / "correct-exchanged" / LESSON
    for name, text in bank.EXCHANGE_FILES.items():
        assert (folder / name).read_text() == text
    (html,) = generate_feedback(course, ["correct-exchanged"], [LESSON])
    assert (html.parent / "submission_secret.txt").is_file()


def test_feedback_gives_the_reason(graded):
    """Every fault's reason reaches the student's feedback in plain words (a notice at the
    top of the notebook, or the substitute's first cell), not only the traceback."""
    course, _, cases, *_ = graded
    faulty = [c for c in cases if c.reason and c.reason_in == "faults"]
    paths = generate_feedback(course, [c.student for c in faulty] + ["correct-extras", "fault-renamed"],
                              [LESSON])
    html = {p.parts[-3]: p.read_text() for p in paths}
    assert "exited with status 3" in html["fault-exit"]
    assert "not valid JSON" in html["fault-notjson"]
    for case in faulty:
        assert case.reason.lower() in html[case.student].lower(), case.student
    assert "While your notebook was graded" not in html["correct-extras"]
    assert "fault-missing" in html and "fault-renamed" in html  # feedback, though no <lesson>.ipynb


def test_tricks_score_no_more_than_the_stubs(graded):
    course, _, cases, *_ = graded
    for case in cases:
        if case.kind == "trick":
            _check_expected(course, case)
            # graded as submitted (re-tagged test cells restored), not replaced
            log = json.loads((course.verdicts / LESSON / f"{case.student}.json").read_text())
            assert not log["substituted"], (case.student, log["faults"])


def test_instructor_files_untouched_and_nothing_left_running(graded):
    course, _, _, _, protected, solutions, (reached, mode, left) = graded
    assert digest_tree(course.source, course.release_dir, course.submitted, course.secret_path,
                       course.config_path, solutions) == protected
    assert not (PROJECT_ROOT / "solutions" / "evil.txt").exists()
    assert not reached, "a sandboxed kernel connected to the grader's loopback"
    if mode == "root":
        assert leftovers() == {}
    else:  # every process the ordinary user's batch started (kernels, helpers) is gone
        assert left == []
    assert not (course.root / ".lab_work").exists()
    autograded = course.autograded / "trick-write-files" / LESSON
    assert not any(p.is_symlink() for p in autograded.rglob("*"))
    assert not (autograded / "fixtures_fifo").exists()


def test_a_disk_flood_stays_within_the_folder_allowance(graded):
    """What the disk-filling notebook left in its autograded folder is no more than
    Sandbox.folder_size (256 MiB here), though it tried to write 64 GB."""
    course, *_ = graded
    folder = course.autograded / "fault-disk" / LESSON
    assert (folder / f"{LESSON}.ipynb").is_file()
    assert 0 < sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) <= 256 * 2**20
