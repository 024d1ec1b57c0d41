"""Grading slots and what a sandboxed kernel leaves behind.

Each concurrently grading process claims a *slot*: a uid from ``Sandbox.uid_base``
that no other live grader holds (a lock file held for the process's life). Its kernels
run as that uid, so the process-count limit (counted per real uid) is not shared, and
everything the notebook started can be found and killed by uid when it ends, however
it detached itself. The folder the kernel wrote is then cleaned of links and special
files (which the trusted grader must not follow or block on) and given back.
"""

from __future__ import annotations

import fcntl
import os
import signal
import stat
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .sandbox import SandboxUnavailable
from .scratch import clear_stale

if TYPE_CHECKING:
    import logging

    from .cgroup import MemoryCgroup
    from .sandbox import Sandbox

LOCK_DIR = Path(tempfile.gettempdir()) / "pretraining-lab-sandbox-slots"


class UidSlot:
    """A uid claimed for this process's kernels (a lock file held for the process's life)."""

    def __init__(self, uid: int, fh: Any) -> None:
        self.uid = uid
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


_SLOT: UidSlot | None = None


def claim_uid(base: int, count: int) -> UidSlot:
    """The first uid in ``base .. base+count-1`` no other live grader holds (cached
    per process)."""
    global _SLOT
    if _SLOT is not None and _SLOT._fh is not None and _SLOT.uid >= base:
        return _SLOT
    LOCK_DIR.mkdir(mode=0o755, exist_ok=True)
    for uid in range(base, base + count):
        fh = open(LOCK_DIR / f"uid-{uid}.lock", "a+")  # noqa: SIM115 - held open
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            continue
        kill_uid(uid)  # a previous holder's leftovers
        _SLOT = UidSlot(uid, fh)
        return _SLOT
    raise SandboxUnavailable(f"all {count} sandbox uids from {base} are in use")


def claim_slot(sandbox: Sandbox, log: logging.Logger) -> tuple[int, MemoryCgroup | None]:
    """The uid a kernel of this process runs as and its memory cgroup (None: none here).
    Root mode: the process's slot uid (claimed once), its cgroup, and the scratch folders a
    killed grader left for it cleared. User mode: the grader's own uid, and the worker's
    own cgroup where one is writable."""
    if sandbox.resolved_mode() == "user":
        # Every worker has the grader's uid: the cgroup is the worker's own.
        cgroup = sandbox.memory_cgroup(os.getpid())
        if cgroup is None and sandbox.cgroup != "off" and sandbox.memory_total > 0:
            log.info("no writable memory cgroup for this user: memory is bounded per "
                     "process only (Sandbox.memory, RLIMIT_AS)")
        return os.getuid(), cgroup
    uid = claim_uid(sandbox.uid_base, sandbox.slots).uid
    if clear_stale(uid):
        log.info("removed scratch folders a killed grader left for uid %d", uid)
    return uid, sandbox.memory_cgroup(uid)


def uid_processes(uid: int) -> list[int]:
    """Pids whose real uid is ``uid``."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            pids.append(int(entry))
                        break
        except (OSError, ValueError, IndexError):
            continue
    return pids


def kill_uid(uid: int, rounds: int = 20) -> int:
    """SIGKILL every process of ``uid`` (repeated: a fork bomb forks while we kill);
    the number killed."""
    if uid == 0 or uid == os.getuid():
        raise ValueError("refusing to kill the grader's own uid")
    killed = 0
    for _ in range(rounds):
        pids = uid_processes(uid)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        time.sleep(0.05)
    return killed


def chown_tree(path: str | Path, uid: int, gid: int) -> None:
    """chown a folder and everything in it, never following links."""
    path = str(path)
    os.chown(path, uid, gid, follow_symlinks=False)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)
            except OSError:
                pass


def remove_specials(path: str | Path) -> list[str]:
    """Delete symbolic links, fifos, sockets and devices under ``path`` (what a
    kernel could leave to make the trusted grader follow or block on); the paths
    removed, relative."""
    removed = []
    for root, dirs, files in os.walk(str(path)):
        for name in list(dirs) + files:
            full = os.path.join(root, name)
            st = os.lstat(full)
            if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode):
                continue
            try:
                os.unlink(full)
                removed.append(os.path.relpath(full, str(path)))
            except OSError:
                pass
            if name in dirs:
                dirs.remove(name)
    return removed
