"""Warm kernels (grader/autograde/warm.py, zygote.py): nothing of one student's kernel
reaches the next one forked in the same slot.

A tampering submission (a monkeypatched torch, changed environment and builtins, an
IPython start-up file in HOME, a file in /tmp, a daemon that keeps writing into the
kernel folder, a System V shared memory segment, an attempt on the zygote's memory) is
graded, then an honest one in the same slot; the honest one's scores, verdicts and what
its kernel observes are compared with the same submission graded alone in a new slot.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grader.autograde import warm
from grader.autograde.worker import grade_private
from grader.course.samples import notebook_cells
from grader.demo import prepare
from tests.grader.data import dev_lesson
from tests.grader.sandbox_support import require_bwrap

pytestmark = pytest.mark.slow

LESSON = dev_lesson.LESSON
MARK = "LAB-PROBE:"

TAMPER = r'''
import builtins, ctypes, os, subprocess, sys
import torch
builtins._lab_tamper = 1
os.environ["LAB_TAMPER"] = "1"
torch._lab_tamper = 1
torch.nn.functional.softmax = lambda *a, **k: None
startup = os.path.expanduser("~/.ipython/profile_default/startup")
os.makedirs(startup, exist_ok=True)
with open(os.path.join(startup, "00-tamper.py"), "w") as fh:
    fh.write("import torch\ntorch.matmul = None\nopen('TAMPERED', 'w').write('x')\n")
with open("/tmp/tamper.txt", "w") as fh:
    fh.write("x")
daemon = "import os, time\nwhile True:\n    time.sleep(0.1)\n    open(os.getcwd() + '/DAEMON', 'w').write('x')\n"
subprocess.Popen([sys.executable, "-c", daemon], start_new_session=True)
ctypes.CDLL(None).shmget(0x1AB, 4096, 0o1000 | 0o666)  # IPC_CREAT, never removed
try:  # the zygote, this kernel's parent
    with open(f"/proc/{os.getppid()}/mem", "rb+") as fh:
        open("REACHED_THE_ZYGOTE", "w").write("x")
except OSError:
    pass
'''

PROBE = r'''
import builtins, json, os, torch
def _files(top):
    found = []
    for r, dirs, fs in os.walk(top):  # mounts (the environment, the run folder) left out
        dirs[:] = [d for d in dirs if not os.path.ismount(os.path.join(r, d))]
        found += [os.path.relpath(os.path.join(r, f), top) for f in fs if "__pycache__" not in r]
    return sorted(found)
with open("/proc/sysvipc/shm") as fh:
    _shm = len(fh.read().splitlines()) - 1
print("LAB-PROBE:" + json.dumps({
    "tmp": _files("/tmp"), "folder": _files("."), "shm": _shm,
    "processes": len([p for p in os.listdir("/proc") if p.isdigit()]),
    "builtins": hasattr(builtins, "_lab_tamper"), "env": "LAB_TAMPER" in os.environ,
    "torch": hasattr(torch, "_lab_tamper"), "matmul": torch.matmul is not None,
    "softmax": torch.nn.functional.softmax.__module__, "uid": os.getuid()}))
'''


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The development lesson's course with three submissions: a tampering one, and the
    same honest (correct, probing) notebook under two names."""
    require_bwrap()
    base = tmp_path_factory.mktemp("warm")
    dev_lesson.write(base / "solutions")
    course, _ = prepare(base / "course", [LESSON], solutions_dir=base / "solutions",
                        kinds=["correct"], out=lambda line: None)
    release = nbformat.read(str(course.release_dir / LESSON / f"{LESSON}.ipynb"), as_version=4)
    source = nbformat.read(str(course.source / LESSON / f"{LESSON}.ipynb"), as_version=4)
    correct = notebook_cells.fill(release, notebook_cells.solution_sources(source))
    for student, nb, extra in (("tamper", release, TAMPER), ("honest-after", correct, PROBE),
                               ("honest-alone", correct, PROBE)):
        nb = nbformat.from_dict(json.loads(json.dumps(nb)))
        nb.cells.insert(2, new_code_cell(extra))
        folder = course.submitted / student / LESSON
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / f"{LESSON}.ipynb"))
    return course


def _grade(course, work: Path, student: str) -> dict:
    out = grade_private(str(course.root), str(work), student, LESSON, {})
    assert out["ok"], out.get("error")
    return out


def _probe(out: dict) -> dict:
    nb = nbformat.read(str(Path(out["wd"]) / "autograded" / out["student"] / LESSON /
                           f"{LESSON}.ipynb"), as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            if MARK in text:
                return json.loads(text.split(MARK, 1)[1].splitlines()[0])
    raise AssertionError("the probe printed nothing")


def _like_honest(course, student: str, change) -> None:
    """Submit, as ``student``, the honest notebook with its cells changed by ``change``
    (once per module: the course fixture is shared)."""
    folder = course.submitted / student / LESSON
    if folder.exists():
        return
    nb = nbformat.read(str(course.submitted / "honest-alone" / LESSON / f"{LESSON}.ipynb"),
                       as_version=4)
    change(nb.cells)
    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / f"{LESSON}.ipynb"))


def _work(course, name: str) -> Path:
    work = course.root.parent / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copyfile(course.root / "gradebook.db", work / "template.db")
    return work


def test_tampering_then_honest_in_one_slot_equals_honest_alone(course):
    """The honest submission graded right after the tampering one, in the same warm slot
    (same zygote), gets the same scores and verdicts, and its kernel sees the same world
    (no file, process, IPC object, module change or environment of the tamperer), as when
    it is graded alone in a new slot."""
    warm.enable()
    try:
        tamper = _grade(course, _work(course, "w1"), "tamper")
        slot = warm._SLOT[0][1]
        zygote = slot.process.pid
        after = _grade(course, _work(course, "w1b"), "honest-after")
        assert warm._SLOT[0][1] is slot and slot.process.pid == zygote and slot.notebooks == 2
        assert slot.count(None) == 0  # the tamperer's daemon is gone
    finally:
        warm.disable()
    warm.enable()
    try:
        alone = _grade(course, _work(course, "w2"), "honest-alone")
    finally:
        warm.disable()
    tampered_folder = Path(tamper["wd"]) / "autograded" / "tamper" / LESSON
    assert (tampered_folder / "labkit").is_dir()  # the tamperer's folder came back
    assert not (tampered_folder / "REACHED_THE_ZYGOTE").exists()
    seen_after, seen_alone = _probe(after), _probe(alone)
    assert seen_after == seen_alone, (seen_after, seen_alone)
    assert not any(seen_after[k] for k in ("builtins", "env", "torch")) and seen_after["matmul"]
    assert "TAMPERED" not in seen_after["folder"] and "DAEMON" not in seen_after["folder"]
    assert seen_after["shm"] == 0
    assert not any("tamper" in name for name in seen_after["tmp"])
    grades = {k: v for k, v in after["grades"].items() if k != "timestamp"}
    assert grades == {k: v for k, v in alone["grades"].items() if k != "timestamp"}
    assert grades["score"] == grades["max_score"] > 0
    cells = {k: v for k, v in after["log"]["cells"].items()}
    assert cells == alone["log"]["cells"]


def test_a_kernel_that_kills_the_zygote_gets_the_next_notebook_a_new_slot(course):
    """A kernel that kills every process it can (the zygote too) ends its own notebook;
    the next notebook gets a new warm slot and is graded as if alone."""
    _like_honest(course, "killer",
                 lambda cells: cells.insert(2, new_code_cell("import os, signal\n"
                                                             "os.kill(-1, signal.SIGKILL)")))
    warm.enable()
    try:
        _grade(course, _work(course, "k1"), "killer")
        first = warm._SLOT[0][1] if warm._SLOT else None
        honest = _grade(course, _work(course, "k2"), "honest-after")
        assert warm._SLOT[0][1] is not first
    finally:
        warm.disable()
    assert honest["grades"]["score"] == honest["grades"]["max_score"] > 0


FRESH_PROBE = r'''
import json, sys, comm, torch
print("LAB-PROBE:" + json.dumps({
    "seed": torch.initial_seed(), "dynamo": "torch._dynamo" in sys.modules,
    "widget_target": "jupyter.widget" in comm.get_comm_manager().targets}))
'''


def test_each_warm_kernel_starts_as_a_fresh_kernel_would(course):
    """Two kernels of one slot each get their own torch seed (a fork would copy the
    zygote's), find the optimizer's lazy import done already, and have ipywidgets' comm
    target registered, as importing ipywidgets in a running kernel does."""
    def probe_fresh(cells) -> None:  # in the honest probe's place
        cells[2] = new_code_cell(FRESH_PROBE)

    for student in ("fresh-a", "fresh-b"):
        _like_honest(course, student, probe_fresh)
    warm.enable()
    try:
        seen = [_probe(_grade(course, _work(course, f"f-{s}"), s)) for s in ("fresh-a", "fresh-b")]
        assert warm._SLOT[0][1].notebooks == 2
    finally:
        warm.disable()
    assert seen[0]["seed"] != seen[1]["seed"]
    assert all(s["dynamo"] and s["widget_target"] for s in seen), seen
