"""What the sandbox tests share.

Root mode: the tests need bubblewrap and root, and FAIL (never skip) with a clear
message when it is missing: `make test` installs it.

User mode (``Sandbox.mode = "user"``, the sandbox for an ordinary user): the tests run
the grader as an ordinary user, ``labtester`` (created here with ``useradd`` where it
is missing; skipped, saying why, only where that is impossible), in a subprocess, on
files that user owns: :func:`ordinary_user`, :func:`user_folder`, :func:`run_as_user`.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.course.paths import PROJECT_ROOT

#: The ordinary user the user-mode tests grade as.
USER = "labtester"
#: The sandbox's two modes, for tests parametrised over them.
MODES = ["root", "user"]


def require_bwrap() -> None:
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap (bwrap) is not installed, and the autograder's sandbox needs it: "
                    "run `make test` as root (it installs it) or `apt-get install -y bubblewrap`",
                    pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("the sandbox tests run kernels as unprivileged uids, which needs root",
                    pytrace=False)


def ordinary_user() -> pwd.struct_passwd:
    """The ordinary user (made when missing), able to run this project's Python; skip
    only where it cannot be made (not root, or no useradd)."""
    require_bwrap()
    try:
        return _reachable(pwd.getpwnam(USER))
    except KeyError:
        pass
    if shutil.which("useradd") is None:
        pytest.skip(f"no user {USER!r} and no useradd to make one: the sandbox's user mode "
                    "is not tested here")
    done = subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", USER],
                          capture_output=True, text=True)
    if done.returncode != 0 and "already exists" not in done.stderr:
        pytest.skip(f"useradd {USER} failed ({done.stderr.strip()}): the sandbox's user mode "
                    "is not tested here")
    return _reachable(pwd.getpwnam(USER))


def _reachable(user: pwd.struct_passwd) -> pwd.struct_passwd:
    """Let ``user`` reach (search, not list) the folders above the project and the Python
    installation (pyenv's is often under /root, mode 0700): an ACL entry for that user
    alone, where the folder's mode does not already allow it."""
    for target in {PROJECT_ROOT, Path(sys.base_prefix).resolve(), Path(sys.prefix)}:
        for folder in [*reversed(target.parents), target]:
            if folder.stat().st_mode & 0o001:
                continue
            if shutil.which("setfacl") is None:
                pytest.fail(f"{user.pw_name} cannot reach {folder} and setfacl (apt-get install "
                            "acl) is missing to let it", pytrace=False)
            subprocess.run(["setfacl", "-m", f"u:{user.pw_name}:x", str(folder)], check=True)
    return user


def user_folder(prefix: str) -> Path:
    """A new folder the ordinary user owns (remove it with :func:`remove_folder`)."""
    user = ordinary_user()
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chown(path, user.pw_uid, user.pw_gid)
    return path


def give_to_user(path: Path) -> None:
    """chown a tree to the ordinary user (what root made for it)."""
    user = ordinary_user()
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid, follow_symlinks=False)
    os.chown(path, user.pw_uid, user.pw_gid)


def remove_folder(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def run_as_user(code: str, *, timeout: float = 900) -> dict:
    """Run Python ``code`` as the ordinary user (this project's interpreter, the
    project on its path, a clean environment); the JSON object it printed last."""
    user = ordinary_user()
    env = {"HOME": user.pw_dir, "PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin",
           "LANG": "C.UTF-8", "PYTHONPATH": str(PROJECT_ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = ["runuser", "-u", user.pw_name, "--", "env", "-i",
           *[f"{k}={v}" for k, v in env.items()], sys.executable, "-c", code]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          cwd=user.pw_dir)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        pytest.fail(f"as {user.pw_name}: exit {done.returncode}\n{done.stdout[-3000:]}\n"
                    f"{done.stderr[-5000:]}", pytrace=False)
    return json.loads(lines[-1])


#: Python source to begin a script run by :func:`run_as_user`: it makes the script a
#: child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``, checked), so that every orphaned
#: process it started comes back to it as a child, and defines ``left()``: the command
#: lines of the script's live descendants, its own multiprocessing resource tracker
#: (which lives as long as the script) aside. What ``left()`` finds is this script's
#: alone, whatever other tests run as the same user at the same time.
LEFT_BEHIND = '''import ctypes, os
from multiprocessing import resource_tracker
from pathlib import Path
_libc = ctypes.CDLL(None)
_flag = ctypes.c_int(0)
assert _libc.prctl(36, 1, 0, 0, 0) == 0 and _libc.prctl(37, ctypes.byref(_flag), 0, 0, 0) == 0
assert _flag.value == 1, "not a child subreaper: left() could not see detached processes"
def _children(pid, strict=False):
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            if strict and task.name == str(pid):  # the script's main thread: never gone,
                raise                             # so this /proc cannot list children
    return [d for k in found for d in [k, *_children(k)]]
def _cmdline(pid):
    try:
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return ""
        return Path(f"/proc/{pid}/cmdline").read_text().replace(chr(0), " ").strip()
    except (OSError, IndexError):
        return ""
def left():
    # The tracker multiprocessing started for this script (private, but nothing public
    # names its pid); a tracker any other process started counts like any process.
    tracker = getattr(resource_tracker._resource_tracker, "_pid", None)
    pids = [p for p in _children(os.getpid(), strict=True) if p != tracker]
    return [c for c in map(_cmdline, pids) if c]
'''
