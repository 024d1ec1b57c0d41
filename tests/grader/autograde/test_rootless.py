"""The sandbox without root (``Sandbox.mode = "user"``, grader/autograde/userns.py):
how the mode is chosen, what its command mounts and drops, the refusal that says what
is missing, and, run as an ordinary user (``tests.grader.sandbox_support``): the
probe, the process limit counted per sandbox rather than per uid, the scratch tmpfs in
a user namespace, and the memory cgroup's fallback. The probe notebook
(test_sandbox.py) and the fault and tamper banks (test_safe_grading.py) run in both
modes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader.autograde import sandbox as sandbox_module
from grader.autograde.sandbox import Sandbox, SandboxUnavailable
from tests.grader.sandbox_support import MODES, ordinary_user, require_bwrap, run_as_user


def test_auto_mode_follows_the_graders_uid(monkeypatch):
    assert Sandbox(mode="user").resolved_mode() == "user"
    assert Sandbox(mode="root").resolved_mode() == "root"
    monkeypatch.setattr(sandbox_module.os, "geteuid", lambda: 0)
    assert Sandbox().resolved_mode() == "root"
    monkeypatch.setattr(sandbox_module.os, "geteuid", lambda: 1000)
    assert Sandbox().resolved_mode() == "user"


@pytest.mark.parametrize("mode", MODES)
def test_the_graders_folders_are_never_mounted(tmp_path, mode):
    """The kernel's folder lies inside the course's work folder (.lab_work), beside the
    secret: only that folder (its scratch copy) and the run folder are bound; the course,
    .lab_work, the secret and the project are not, in either mode."""
    course = tmp_path / "course"
    folder = course / ".lab_work" / "lesson--alice" / "autograded" / "alice" / "lesson"
    scratch = tmp_path / "lab-k-1"
    folder.mkdir(parents=True)
    (scratch / "work").mkdir(parents=True)
    (scratch / "run").mkdir()
    (course / ".lab_secret").write_text("s")
    cmd = Sandbox(mode=mode).command(["python"], folder=folder, run_dir=scratch / "run",
                                     uid=64100, folder_source=scratch / "work")
    binds = [(cmd[i + 1], cmd[i + 2]) for i, a in enumerate(cmd) if a in ("--bind", "--ro-bind")]
    rw = [(cmd[i + 1], cmd[i + 2]) for i, a in enumerate(cmd) if a == "--bind"]
    assert sorted(rw) == sorted([(str(scratch / "work"), str(folder)),
                                 (str(scratch / "run"), str(scratch / "run"))])
    for src, dest in binds:
        for private in (course, course / ".lab_work", course / ".lab_secret"):
            assert src != str(private) and dest != str(private)
        assert not src.startswith(str(course) + "/")
        assert not dest.startswith(str(Path(sandbox_module.__file__).parents[2]) + "/grader")


def test_user_mode_command_namespaces_without_setpriv(tmp_path):
    cmd = Sandbox(mode="user").command(["python"], folder=tmp_path, run_dir=tmp_path, uid=0)
    for flag in ("--unshare-user", "--disable-userns", "--new-session", "--unshare-pid",
                 "--unshare-net", "--die-with-parent", "--clearenv"):
        assert flag in cmd, flag
    assert cmd[cmd.index("--remount-ro") + 1] == "/"
    assert cmd[cmd.index("--cap-drop") + 1] == "ALL"
    assert not any(Path(a).name == "setpriv" for a in cmd)
    assert any(a.startswith("--nproc=") for a in cmd) and any(a.startswith("--as=") for a in cmd)
    root = Sandbox(mode="root").command(["python"], folder=tmp_path, run_dir=tmp_path, uid=64100)
    assert "--unshare-user" not in root and any(Path(a).name == "setpriv" for a in root)


def test_refusal_says_what_is_missing(monkeypatch):
    """Neither mode can run: the message names what is missing and what to do."""
    require_bwrap()
    monkeypatch.setattr(sandbox_module.userns, "unavailable",
                        lambda: "unprivileged user namespaces are disabled "
                        "(kernel.unprivileged_userns_clone = 0; ...)")
    with pytest.raises(SandboxUnavailable, match="not root.*unprivileged user namespaces are "
                       "disabled.*or run the grader as root"):
        Sandbox(mode="user").probe()
    monkeypatch.setattr(sandbox_module.os, "geteuid", lambda: 1000)
    with pytest.raises(SandboxUnavailable, match="needs the grader to run as root.*mode 'user'"):
        Sandbox(mode="root").probe()


def test_user_namespaces_are_available_here():
    """Debian 12 (the test machine) lets ordinary users create user namespaces."""
    from grader.autograde import userns

    assert userns.unavailable() is None


# --- as an ordinary user -----------------------------------------------------------------

PROBE_AND_CGROUP = """import json
from grader.autograde.sandbox import Sandbox, SandboxUnavailable
Sandbox().probe()
out = {"mode": Sandbox().resolved_mode(), "auto": Sandbox().memory_cgroup(12345) is None}
try:
    Sandbox(cgroup="required").memory_cgroup(12345)
    out["required"] = "made"
except SandboxUnavailable as exc:
    out["required"] = str(exc)
print(json.dumps(out))"""


@pytest.mark.slow
def test_an_ordinary_user_passes_the_probe_and_falls_back_without_a_cgroup():
    """As an ordinary user: `auto` picks the user mode and its probe passes (no network,
    not root); no memory cgroup is writable, so `auto` goes without one (RLIMIT_AS only)
    and `required` refuses, saying why."""
    out = run_as_user(PROBE_AND_CGROUP, timeout=300)
    assert out["mode"] == "user"
    assert out["auto"] is True
    assert "required" in out["required"] and "no writable memory cgroup" in out["required"]


NPROC = """import json, os, subprocess, sys, tempfile
from grader.autograde.sandbox import Sandbox
# The grader's own uid already runs 80 processes, more than the sandbox's limit of 64.
mine = [subprocess.Popen(["sleep", "120"]) for _ in range(80)]
BOMB = '''import os
n = 0
for _ in range(200):
    try:
        if os.fork() == 0:
            import time; time.sleep(30); os._exit(0)
        n += 1
    except OSError:
        break
print("forked", n)'''
with tempfile.TemporaryDirectory() as tmp:
    cmd = Sandbox(processes=64).command([sys.executable, "-c", BOMB], folder=tmp, run_dir=tmp,
                                       uid=0)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
for p in mine:
    p.kill()
    p.wait()
print(json.dumps({"out": done.stdout, "err": done.stderr[-2000:]}))"""


@pytest.mark.slow
def test_the_process_limit_counts_the_sandbox_not_the_graders_uid():
    """RLIMIT_NPROC counts per user namespace and uid: though the grader's uid (which the
    kernel shares) runs 80 processes, a sandbox limited to 64 still forks, and a fork
    bomb in it stops near 64 and dies with the sandbox."""
    out = run_as_user(NPROC, timeout=300)
    assert "forked" in out["out"], out
    forked = int(out["out"].split()[-1])
    assert 40 <= forked < 64, out


SCRATCH = """import json, os
from grader.autograde.scratch import Scratch
s = Scratch.create(16 * 2**20, os.getuid(), user_mode=True)
folder = os.path.join(os.path.dirname(s.path), "given-" + os.path.basename(s.path))
os.mkdir(folder)
open(os.path.join(folder, "given.txt"), "w").write("released")
work = s.stage(folder, (".ev",), 4 * 2**20)
out = {"mounted": s.mounted, "helper": s.namespace.pid, "work": str(work)}
try:
    with open(os.path.join(work, "big"), "wb") as fh:
        fh.write(b"z" * (20 * 2**20))
except OSError as exc:
    out["errno"] = exc.errno
open(os.path.join(work, ".ev", "e.pt"), "w").write("evidence")
out["filled"] = s.filled()
os.remove(os.path.join(work, "big"))
s.copy_back(folder)
s.close()
out["copied"] = sorted(os.listdir(folder))
out["gone"] = not s.path.exists() and not os.path.exists(f"/proc/{out['helper']}")
print(json.dumps(out))"""


@pytest.mark.slow
def test_the_scratch_tmpfs_of_an_ordinary_user():
    """Without root the kernel's folder is still a size-limited tmpfs (mounted in a
    helper's user namespace): writes past it fail with ENOSPC, the evidence folder has a
    tmpfs of its own, what was written is copied back, and the helper and the folder
    are gone after."""
    ordinary_user()
    out = run_as_user(SCRATCH, timeout=300)
    assert out["mounted"] and out["work"].endswith("/work")
    assert out["errno"] == 28 and out["filled"]
    assert out["copied"] == [".ev", "given.txt"]
    assert out["gone"]


def test_python_roots_are_bound_read_only(tmp_path):
    cmd = Sandbox(mode="user").command(["python"], folder=tmp_path, run_dir=tmp_path, uid=0)
    ro = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--ro-bind"]
    assert sys.prefix in ro


def test_user_mode_started_by_root_keeps_no_capabilities(tmp_path):
    """Forced on a root grader, the user mode still gives the kernel no capability
    (bubblewrap run by root would keep them in the namespace without --cap-drop)."""
    require_bwrap()
    status = "print(open('/proc/self/status').read())"
    cmd = Sandbox(mode="user").command([sys.executable, "-c", status], folder=tmp_path,
                                       run_dir=tmp_path, uid=0)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert "CapEff:\t0000000000000000" in done.stdout, done.stderr
    assert "CapBnd:\t0000000000000000" in done.stdout


def test_a_killed_user_mode_graders_links_are_cleared(tmp_path, monkeypatch):
    """A user-mode scratch whose helper is gone (its links dangle) is removed by the next
    one of the same uid; one whose links still lead somewhere is left alone."""
    from grader.autograde import scratch

    monkeypatch.setattr(scratch.tempfile, "gettempdir", lambda: str(tmp_path))
    dead, live = tmp_path / "lab-u-4242-dead", tmp_path / "lab-u-4242-live"
    for path, target in ((dead, "/proc/999999999/root/nowhere"), (live, str(tmp_path))):
        path.mkdir()
        (path / "run").symlink_to(target)
    assert scratch.clear_stale_links(4242) == 1
    assert not dead.exists() and live.exists()
