"""The kernel sandbox (``grader.autograde.sandbox``) and ``SafeExecute``: one sandboxed kernel
runs cells that try to read, write, connect and linger; then the refusal when the
sandbox cannot start, and the small helpers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config import Config

from grader.autograde.batch import BatchError, check_sandbox
from grader.autograde.cgroup import memory_controller
from grader.autograde.preprocessors.safe_execute import SafeExecute, describe_exit
from grader.autograde.sandbox import Sandbox, SandboxUnavailable
from grader.autograde.slots import remove_specials, uid_processes
from grader.course.directory import Course
from grader.course.paths import PROJECT_ROOT
from tests.grader.sandbox_support import (
    LEFT_BEHIND,
    MODES,
    give_to_user,
    ordinary_user,
    remove_folder,
    require_bwrap,
    run_as_user,
    user_folder,
)

PROBE_READ = """import json, importlib
out = {}
for path in PATHS:
    try:
        with open(path, "rb") as fh:
            fh.read(10)
        out[path] = "read"
    except Exception as exc:
        out[path] = type(exc).__name__
for mod in ("grader", "reference", "grader.checks.catalogue"):
    try:
        importlib.import_module(mod)
        out[mod] = "imported"
    except Exception as exc:
        out[mod] = type(exc).__name__
print(json.dumps(out))"""

PROBE_WRITE = """import json
out = {}
for path in PATHS:
    try:
        with open(path, "w") as fh:
            fh.write("x")
        out[path] = "written"
    except Exception as exc:
        out[path] = type(exc).__name__
print(json.dumps(out))"""

PROBE_NET = """import json, socket
out = {}
for host, port in TARGETS:
    try:
        socket.create_connection((host, port), timeout=3).close()
        out[host] = "connected"
    except OSError as exc:
        out[host] = type(exc).__name__
print(json.dumps(out))"""

PROBE_PROCS = """import json, os, subprocess
subprocess.Popen(["sleep", "3600"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    import time
    time.sleep(3600)
print(json.dumps({"uid": os.getuid(), "gid": os.getgid(), "cwd": os.getcwd(),
                  "env": sorted(os.environ)}))"""


def _json(cell) -> dict:
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
    return json.loads(text.strip().splitlines()[-1])


#: The probe run as the ordinary user (user mode): the notebook and the folder from
#: argv-like constants; prints what the test needs as one JSON line.
RUN_AS_USER = LEFT_BEHIND + """import json
import nbformat
from traitlets.config import Config
from grader.autograde.preprocessors.safe_execute import SafeExecute
nb = nbformat.read(NB, as_version=4)
cfg = Config()
cfg.Execute.timeout = 60
pp = SafeExecute(config=cfg)
nb, resources = pp.preprocess(nb, {"metadata": {"path": FOLDER}})
print(json.dumps({"cells": [nbformat.writes(nb)], "faults": resources["lab_faults"],
                  "uid": pp.session.uid, "mode": pp.session.sandbox.resolved_mode(),
                  "scratch": bool(pp.session.scratch and pp.session.scratch.staged),
                  "left": left()}))"""


def _course_tree(base: Path) -> dict:
    """A course with a gradebook, a secret, a source notebook and two students."""
    root = base / "course"
    mine = root / "autograded" / "alice" / "lesson"
    theirs = root / "autograded" / "bob" / "lesson"
    mine.mkdir(parents=True)
    theirs.mkdir(parents=True)
    (root / "gradebook.db").write_text("the gradebook")
    (root / ".lab_secret").write_text("s" * 64)
    (root / "source").mkdir()
    (root / "source" / "hidden.ipynb").write_text("{}")
    (theirs / "answer.txt").write_text("bob's answer")
    return {"root": root, "mine": mine, "theirs": theirs}


@pytest.fixture(scope="module", params=MODES)
def probed(request, tmp_path_factory):
    """The probe notebook graded in each mode: as root (root mode), and as an ordinary
    user who owns the course, the secret and both students' folders (user mode: only
    the mounts keep them from the kernel, not file permissions)."""
    require_bwrap()
    mode = request.param
    base = tmp_path_factory.mktemp("sbx") if mode == "root" else user_folder("lab-sbx-")
    if mode == "user":
        request.addfinalizer(lambda: remove_folder(base))
    tree = _course_tree(base)
    root, mine, theirs = tree["root"], tree["mine"], tree["theirs"]
    secret_paths = [str(root / "gradebook.db"), str(root / ".lab_secret"),
                    str(root / "source" / "hidden.ipynb"), str(theirs / "answer.txt"),
                    str(PROJECT_ROOT / "grader" / "sandbox.py"),
                    str(PROJECT_ROOT / "solutions"), "/root/.bash_history"]
    outside = [str(root / "hack.txt"), str(theirs / "answer.txt"), str(root / "gradebook.db"),
               os.path.join(sys.prefix, "hack.txt"), "/etc/hack", "/usr/hack"]
    inside = [str(mine / "mine.txt"), "/tmp/scratch.txt"]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    targets = [("127.0.0.1", listener.getsockname()[1]), ("1.1.1.1", 53)]
    nb = new_notebook(cells=[
        new_code_cell(PROBE_READ.replace("PATHS", repr(secret_paths))),
        new_code_cell(PROBE_WRITE.replace("PATHS", repr(outside + inside))),
        new_code_cell(PROBE_NET.replace("TARGETS", repr(targets))),
        new_code_cell(PROBE_PROCS),
    ])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if mode == "root":
        cfg = Config()
        cfg.Execute.timeout = 60
        pp = SafeExecute(config=cfg)
        nb, resources = pp.preprocess(nb, {"metadata": {"path": str(mine)}})
        run = {"faults": resources["lab_faults"], "uid": pp.session.uid, "mode": "root",
               "scratch": pp.session.scratch.staged, "left": uid_processes(pp.session.uid)}
    else:
        nbformat.write(nb, str(base / "probe.ipynb"))
        give_to_user(base)
        run = run_as_user(RUN_AS_USER.replace("NB", repr(str(base / "probe.ipynb")))
                          .replace("FOLDER", repr(str(mine))))
        nb = nbformat.reads(run.pop("cells")[0], as_version=4)
    try:
        listener.accept()[0].close()
        reached = True
    except BlockingIOError:
        reached = False
    listener.close()
    results = [_json(c) for c in nb.cells]
    owner = os.getuid() if mode == "root" else ordinary_user().pw_uid
    return {**tree, **run, "results": results, "reached": reached, "owner": owner,
            "secret_paths": secret_paths, "outside": outside, "inside": inside}


def test_kernel_cannot_read_the_course_the_project_or_other_students(probed):
    reads = probed["results"][0]
    for path in probed["secret_paths"]:
        assert reads[path] in ("FileNotFoundError", "PermissionError"), (path, reads[path])
    for mod in ("grader", "reference", "grader.checks.catalogue"):
        assert reads[mod] == "ModuleNotFoundError", reads


def test_kernel_writes_only_its_folder_and_private_tmp(probed):
    writes = probed["results"][1]
    for path in probed["outside"]:
        assert writes[path] != "written", path
    for path in probed["inside"]:
        assert writes[path] == "written", path
    assert not (probed["root"] / "hack.txt").exists()
    assert (probed["theirs"] / "answer.txt").read_text() == "bob's answer"
    assert (probed["root"] / "gradebook.db").read_text() == "the gradebook"
    mine = probed["mine"] / "mine.txt"
    assert mine.stat().st_uid == probed["owner"]  # given back to the grader
    assert probed["scratch"], "the folder was not staged on a size-limited tmpfs"


def test_kernel_has_no_network(probed):
    net = probed["results"][2]
    assert set(net.values()) <= {"OSError", "ConnectionRefusedError", "TimeoutError"}, net
    assert "connected" not in net.values()
    assert not probed["reached"]


def test_kernel_runs_unprivileged_and_leaves_no_process(probed):
    """The kernel runs as the slot's uid (user mode: the grader's own, in a user
    namespace of its own) in the student's folder, without the grader's environment;
    the processes it left behind are killed and reported as one fault, and nothing of
    the sandbox (user mode: nor the scratch's helper) is left once grading returns."""
    info = probed["results"][3]
    if probed["mode"] == "root":
        assert info["uid"] == probed["uid"] and info["uid"] >= Sandbox().uid_base
    else:
        assert info["uid"] == probed["uid"] == probed["owner"] != 0
    assert info["cwd"] == str(probed["mine"])
    assert "JPY_PARENT_PID" not in info["env"]
    assert not any(k.startswith(("LAB", "PRETRAINING")) for k in info["env"])
    assert probed["left"] == []
    # The probe cell left exactly two processes behind (a detached `sleep` and a forked
    # child in its own session): both are killed and named, and nothing else is a fault.
    assert probed["faults"] == [
        "2 process(es) the notebook started were still running when it ended; they were killed"]


def test_grading_refuses_without_the_sandbox(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n"
                                                 "c.Sandbox.bwrap = '/nonexistent/bwrap'\n")
    with pytest.raises(SandboxUnavailable, match="apt-get install -y bubblewrap"):
        Sandbox(bwrap="/nonexistent/bwrap").probe()
    with pytest.raises(BatchError, match="refusing to autograde.*bubblewrap"):
        check_sandbox(Course(tmp_path))
    warned = []
    check_sandbox(Course(tmp_path), unsafe_no_sandbox=True, warn=warned.append)
    assert warned and "WITHOUT the sandbox" in warned[0]


def test_describe_exit_in_plain_words():
    assert "segmentation fault" in describe_exit(128 + signal.SIGSEGV)
    assert "exited with status 3" in describe_exit(3)
    assert "killed" in describe_exit(-signal.SIGKILL)
    assert "stopped answering" in describe_exit(None)


def test_only_the_grader_chooses_which_cells_are_skipped(tmp_path):
    """nbclient skips cells by tag; SafeExecute's tag is drawn at random, so a tag the
    student wrote (nbclient's default "skip-execution") skips nothing, and the tag put
    on the display-only cells is taken off again."""
    nb = new_notebook(cells=[new_code_cell("print('ran')", metadata={"tags": ["skip-execution"]}),
                             new_code_cell("raise RuntimeError('display')")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cfg = Config()
    cfg.Execute.timeout = 60
    cfg.Sandbox.unsafe_no_sandbox = True
    pp = SafeExecute(config=cfg)
    assert pp.skip_cells_with_tag.startswith("lab-grader-skip-")
    nb, resources = pp.preprocess(nb, {"metadata": {"path": str(tmp_path)}, "lab_skip_cells": {1}})
    assert nb.cells[0].outputs[0]["text"] == "ran\n"
    assert nb.cells[0].metadata["tags"] == ["skip-execution"]
    assert "tags" not in nb.cells[1].metadata
    assert "display only" in nb.cells[1].outputs[0]["text"]
    assert resources["lab_faults"] == []


def test_remove_specials(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "ok.txt").write_text("x")
    os.symlink("/etc/passwd", tmp_path / "d" / "link")
    os.mkfifo(tmp_path / "fifo")
    removed = remove_specials(tmp_path)
    assert sorted(removed) == ["d/link", "fifo"]
    assert (tmp_path / "d" / "ok.txt").exists()


def test_sandbox_command_hides_the_project(tmp_path):
    cmd = Sandbox().command(["python"], folder=tmp_path, run_dir=tmp_path, uid=64100)
    joined = " ".join(cmd)
    assert "--unshare-net" in cmd and "--unshare-pid" in cmd and "--die-with-parent" in cmd
    binds = [cmd[i + 1] for i, a in enumerate(cmd) if a in ("--bind", "--ro-bind")]
    assert str(PROJECT_ROOT) not in binds
    assert all(not b.startswith(str(PROJECT_ROOT) + "/") or b.startswith(sys.prefix) for b in binds)
    assert "--clearenv" in cmd and "JPY_PARENT_PID" not in joined
    assert Path(cmd[0]).name == "bwrap"


# --- one memory limit for the whole sandbox (grader/autograde/cgroup.py) ---------------------------

HOG = """import os, time
mine = b"x" * (120 * 2**20)   # touched memory, far under the per-process limit
pids = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        theirs = b"y" * (120 * 2**20)
        time.sleep(2)
        os._exit(0)
    pids.append(pid)
print("statuses", [os.waitpid(p, 0)[1] for p in pids])"""


def test_a_memory_cgroup_bounds_the_sandbox_processes_together(tmp_path):
    """Three processes of one sandbox, 120 MiB each (any one alone fits), together over
    a 300 MiB sandbox: the cgroup's OOM killer ends one of them and counts it. Where the machine
    has no writable memory controller, `auto` falls back to per-process limits and
    `required` refuses with the reason."""
    require_bwrap()
    uid = 64190
    if memory_controller() is None:
        assert Sandbox(memory_total=300 * 2**20).memory_cgroup(uid) is None
        with pytest.raises(SandboxUnavailable, match="required"):
            Sandbox(cgroup="required").memory_cgroup(uid)
        return
    sandbox = Sandbox(memory_total=300 * 2**20)
    group = sandbox.memory_cgroup(uid)
    assert group is not None and group.path.name == f"slot-{uid}"
    before = group.oom_kills()
    os.chown(tmp_path, uid, sandbox.gid)
    cmd = group.wrap(sandbox.command([sys.executable, "-c", HOG], folder=tmp_path,
                                     run_dir=tmp_path, uid=uid))
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert "statuses [0, 0]" not in done.stdout, done.stdout
    assert group.oom_kills() > before
    assert uid_processes(uid) == []


def test_cgroup_off_or_zero_means_no_cgroup():
    assert Sandbox(cgroup="off").memory_cgroup(64190) is None
    assert Sandbox(memory_total=0).memory_cgroup(64190) is None


def test_safe_execute_names_a_sandbox_over_its_memory(tmp_path):
    """A notebook whose processes together pass ``memory_total`` (each alone fits):
    SafeExecute reports, in plain words, that the sandbox's memory ran out, and the
    cells before it keep their outputs. Skipped in effect where no cgroup can be made
    (the per-process limit still applies; test_a_memory_cgroup... covers the fallback)."""
    require_bwrap()
    if memory_controller() is None:
        pytest.skip("no writable memory cgroup controller on this machine")
    nb = new_notebook(cells=[new_code_cell("print('before')"), new_code_cell(HOG)])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cfg = Config()
    cfg.Execute.timeout = 60
    cfg.Sandbox.memory_total = 300 * 2**20
    nb, resources = SafeExecute(config=cfg).preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert nb.cells[0].outputs[0]["text"] == "before\n"
    assert any("more memory than the sandbox allows (300 MiB" in f
               for f in resources["lab_faults"]), resources["lab_faults"]


# --- a size-limited folder (grader/autograde/scratch.py) -------------------------------------------

FILL = """written = 0
try:
    for i in range(40):
        with open(f"blob{i}.bin", "wb") as fh:
            fh.write(b"z" * (8 * 2**20))   # each file far under RLIMIT_FSIZE
        written += 1
except OSError as exc:
    print("stopped", exc.errno)
print("written", written)"""


def test_a_notebook_cannot_fill_the_disk(tmp_path):
    """40 files of 8 MiB into a folder allowed 64 MiB: the writes fail with ENOSPC in the
    student's cell, the fault is named, what was written before is copied back, and no
    more than the allowance reaches the real folder."""
    require_bwrap()
    (tmp_path / "given.txt").write_text("released file")
    nb = new_notebook(cells=[new_code_cell("open('kept.txt', 'w').write('mine')"),
                             new_code_cell(FILL)])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cfg = Config()
    cfg.Execute.timeout = 60
    cfg.Sandbox.folder_size = 64 * 2**20
    pp = SafeExecute(config=cfg)
    nb, resources = pp.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    scratch = pp.session.scratch
    if not (scratch and scratch.staged):
        pytest.skip("no tmpfs could be mounted here (not root?)")
    text = nb.cells[1].outputs[0]["text"]
    assert "stopped 28" in text, text
    assert resources["lab_faults"] == [
        "the notebook filled the space its folder may use (64 MiB); writes beyond it failed"]
    assert (tmp_path / "kept.txt").read_text() == "mine"
    assert (tmp_path / "given.txt").read_text() == "released file"
    assert sum(p.stat().st_size for p in tmp_path.rglob("*")) <= 64 * 2**20
    assert all(p.stat().st_uid == os.getuid() for p in tmp_path.rglob("*"))
    assert not scratch.path.exists()  # unmounted and removed


def test_scratch_without_a_size_is_the_folder_itself(tmp_path):
    """folder_size 0: no tmpfs, the kernel writes the lesson folder directly and
    nothing is copied."""
    from grader.autograde.scratch import Scratch

    scratch = Scratch.create(0, 64190)
    try:
        assert not scratch.mounted and scratch.run_dir.is_dir()
        assert scratch.stage(tmp_path) == tmp_path and not scratch.filled()
        scratch.copy_back(tmp_path)
    finally:
        scratch.close()
    assert not scratch.path.exists()


def test_a_killed_graders_scratch_is_cleared_by_the_next_holder_of_its_slot():
    """A grader killed mid-notebook leaves its slot's tmpfs mounted; whoever claims the
    slot next unmounts and removes it (other slots' scratches are left alone)."""
    from grader.autograde.scratch import Scratch, clear_stale

    left = Scratch.create(16 * 2**20, 64191)
    other = Scratch.create(16 * 2**20, 64192)
    try:
        if not left.mounted:
            pytest.skip("no tmpfs could be mounted here (not root?)")
        assert clear_stale(64191) == 1
        assert not os.path.ismount(left.path) and not left.path.exists()
        assert os.path.ismount(other.path)
    finally:
        left.close()
        other.close()
