"""The sandbox without root: unprivileged user namespaces (as bubblewrap and Flatpak
use them) stand in for what root gives the grader.

Where the grader is an ordinary user (a SLURM or PBS job, a JupyterHub instructor
account), :class:`grader.autograde.sandbox.Sandbox` runs in its *user* mode:

* bubblewrap adds ``--unshare-user`` (and ``--disable-userns``, ``--new-session``):
  the kernel runs as the grader's own uid, mapped into a user namespace of its own
  with no capabilities, instead of a uid of its own. What protects the course and
  the other students is that they are not mounted, not file permissions.
* ``RLIMIT_NPROC`` is counted per user namespace and uid (Linux 5.14 and later), so
  the kernel's process limit counts its own processes, not the grader's;
* its processes are found, counted and killed through its pid namespace
  (:class:`PidNamespace`): no process leaves a pid namespace, and when its init
  dies the kernel kills everything in it;
* the size-limited scratch folder (:mod:`grader.autograde.scratch`) is a tmpfs that a
  small helper process (:class:`MountNamespace`) mounts in a user and mount namespace
  of its own: the kernel's sandbox is started inside that namespace (``nsenter``),
  and the grader reaches the tmpfs through ``/proc/<helper>/root``. The tmpfs goes
  away with the helper, which dies with the grader.

What it cannot do without root: a memory cgroup (unless one is delegated; without
one only the per-process ``RLIMIT_AS`` bounds memory) and a uid of the kernel's own.
:func:`unavailable` says why user namespaces cannot be used, where they cannot.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

#: The helper: enters a new user and mount namespace (the grader's uid mapped to
#: itself), then mounts tmpfs folders on request ("mount PATH SIZE" on stdin, one a
#: line; answers "ok" or the error) until its stdin closes, which happens when the
#: grader closes it or dies (no PR_SET_PDEATHSIG: that fires when the *thread* that
#: started it ends). It keeps its capabilities in that namespace because it never execs.
HELPER = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), what)
uid, gid = os.getuid(), os.getgid()
check(libc.unshare(0x10000000 | 0x00020000), "unshare(CLONE_NEWUSER|CLONE_NEWNS)")
for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                   ("gid_map", f"{gid} {gid} 1")):
    with open(f"/proc/self/{name}", "w") as fh:
        fh.write(text)
check(libc.mount(b"none", b"/", None, 0x4000 | 0x40000, None), "make / private")
print("ready", flush=True)
for line in sys.stdin:
    try:
        _, path, size = line.split()
        os.makedirs(path, exist_ok=True)
        check(libc.mount(b"lab-scratch", path.encode(), b"tmpfs", 0x2 | 0x4 | 0x8,
                         f"size={int(size)},mode=0755".encode()), path)
        print("ok", flush=True)
    except Exception as exc:
        print("error", exc, flush=True)
"""


def unavailable() -> str | None:
    """Why an ordinary user cannot create user namespaces here (None: they can)."""
    if not sys.platform.startswith("linux"):
        return "user namespaces need Linux"
    checks = (("/proc/sys/kernel/unprivileged_userns_clone", "0",
               "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0; "
               "an administrator can enable them: sysctl -w kernel.unprivileged_userns_clone=1)"),
              ("/proc/sys/user/max_user_namespaces", "0",
               "user namespaces are disabled (user.max_user_namespaces = 0; an administrator can "
               "raise it: sysctl -w user.max_user_namespaces=15000)"),
              ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1",
               "AppArmor restricts unprivileged user namespaces "
               "(kernel.apparmor_restrict_unprivileged_userns = 1; an administrator can allow "
               "bwrap with an AppArmor profile, or set it to 0)"))
    for path, off, why in checks:
        with contextlib.suppress(OSError):
            if Path(path).read_text().strip() == off:
                return why
    return None


class MountNamespace:
    """A helper process holding a user and mount namespace of its own, where it mounts
    tmpfs folders for the grader (see the module docstring)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    @classmethod
    def start(cls) -> MountNamespace:
        """Start the helper; OSError when it cannot make its namespace."""
        process = subprocess.Popen([sys.executable, "-I", "-c", HELPER], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        ns = cls(process)
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            ns.close()
            raise OSError(f"no user namespace for the scratch folder: {ns.error()}")
        return ns

    @property
    def pid(self) -> int:
        return self.process.pid

    def error(self) -> str:
        with contextlib.suppress(Exception):
            _, err = self.process.communicate(timeout=5)
            return (err or "").strip().splitlines()[-1]
        return "the helper did not answer"

    def mount_tmpfs(self, path: str | Path, size: int) -> bool:
        """Mount a tmpfs of ``size`` bytes at ``path`` in the namespace."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(f"mount {path} {int(size)}\n")
            self.process.stdin.flush()
            return self.process.stdout.readline().strip() == "ok"
        except OSError:
            return False

    def view(self, path: str | Path) -> Path:
        """Where the grader sees ``path`` as the namespace sees it."""
        return Path(f"/proc/{self.pid}/root{os.path.abspath(path)}")

    def enter(self, cmd: list[str]) -> list[str]:
        """``cmd`` run inside the namespace (as the grader's uid, without capabilities:
        they are lost at the exec of ``cmd``)."""
        return ["nsenter", "-t", str(self.pid), "-U", "-m", "--preserve-credentials", "--", *cmd]

    def close(self) -> None:
        """End the helper; its tmpfs folders go once no sandbox holds them."""
        with contextlib.suppress(OSError):
            if self.process.stdin:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fh in (self.process.stdout, self.process.stderr):
            with contextlib.suppress(OSError):
                if fh:
                    fh.close()


# --- the kernel's processes, by its pid namespace ---------------------------------------

class PidNamespace:
    """The pid namespace of one sandbox, named by its inode (``pid:[...]``), so a pid
    reused after the sandbox ended is never mistaken for one of its processes. No
    process leaves it, and none in it can make another (``--disable-userns``: no
    capabilities to make one with)."""

    def __init__(self, ident: str) -> None:
        self.ident = ident

    @classmethod
    def of(cls, bwrap_pid: int) -> PidNamespace | None:
        """The namespace of the sandbox that ``bwrap_pid`` (the bubblewrap process
        outside it) started: its child's (None if there is none yet, or it is gone)."""
        for child in _children(bwrap_pid):
            ident = _pidns(child)
            if ident is not None and ident != _pidns(os.getpid()):
                return cls(ident)
        return None

    def members(self) -> list[int]:
        """The pids (as the grader sees them) of the processes alive in it."""
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and _pidns(int(entry)) == self.ident and _alive(int(entry)):
                found.append(int(entry))
        return found

    def kill(self, rounds: int = 20) -> int:
        """SIGKILL every process in it (repeated: a fork bomb forks while we kill);
        how many there were."""
        killed = 0
        for _ in range(rounds):
            pids = self.members()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
            time.sleep(0.05)
        return killed


def _pidns(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, ValueError):
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
                out += [int(c) for c in text.split()]
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
