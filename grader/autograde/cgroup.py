"""One memory limit for a whole sandbox: the kernel and every process it starts,
together (Linux memory cgroups, v2 or v1).

The per-process limits of :class:`grader.autograde.sandbox.Sandbox` (``RLIMIT_AS``) bound one
process; a notebook that forks a hundred children could still take the machine's
memory a few GiB at a time. A memory cgroup bounds their sum: beyond it the kernel's
OOM killer ends a process of that sandbox only, never the grader or another student's
kernel. The sandbox's ``bwrap`` joins the cgroup before it starts (``sh`` writes its own
pid to ``cgroup.procs`` and then ``exec``s bwrap), so nothing escapes it.

Each grading slot (one per worker, keyed by its uid) reuses one cgroup,
``<parent>/pretraining-lab/slot-<uid>``. On cgroup v1 the parent is the grader's own
memory cgroup, so whatever bounds the grader (a container, a systemd slice) bounds its
kernels too; on v2 it is the hierarchy's root, the one cgroup that may both hold
processes and hand the memory controller down. Needs root and a writable cgroup file
system; :func:`memory_controller` says whether there is one.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

#: Where a cgroup v2 hierarchy may be mounted (the second on hybrid systems).
V2_ROOTS = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))
#: The cgroup v1 memory controller's mount.
V1_ROOT = Path("/sys/fs/cgroup/memory")
GROUP = "pretraining-lab"


def memory_controller() -> tuple[Path, str] | None:
    """(the root of a writable memory controller, "v2" or "v1"), or None."""
    for root in V2_ROOTS:
        controllers = root / "cgroup.controllers"
        with contextlib.suppress(OSError):
            if "memory" in controllers.read_text().split() and os.access(root, os.W_OK):
                return root, "v2"
    if (V1_ROOT / "memory.limit_in_bytes").is_file() and os.access(V1_ROOT, os.W_OK):
        return V1_ROOT, "v1"
    return None


class MemoryCgroup:
    """A cgroup whose processes together may use at most ``limit`` bytes of memory
    (and no swap beyond it)."""

    def __init__(self, path: Path, version: str, limit: int) -> None:
        self.path, self.version, self.limit = path, version, limit

    @classmethod
    def for_slot(cls, uid: int, limit: int) -> MemoryCgroup:
        """Create (or reuse) the slot's cgroup and set its limit; OSError if the
        machine has no writable memory controller."""
        found = memory_controller()
        if found is None:
            raise OSError("no writable memory cgroup controller (cgroup v2 with the memory "
                          "controller, or cgroup v1's memory hierarchy) on this machine")
        root, version = found
        parent = (root if version == "v2" else _own_v1_group(root)) / GROUP
        parent.mkdir(parents=True, exist_ok=True)
        if version == "v2":
            # Children of a v2 cgroup get the memory controller only if each ancestor
            # hands it down.
            for folder in (root, parent):
                _write(folder / "cgroup.subtree_control", "+memory")
        path = parent / f"slot-{uid}"
        path.mkdir(exist_ok=True)
        group = cls(path, version, limit)
        group._set_limit()
        return group

    def _set_limit(self) -> None:
        limit = str(self.limit)
        if self.version == "v2":
            _write(self.path / "memory.max", limit)
            if (self.path / "memory.swap.max").exists():
                _write(self.path / "memory.swap.max", "0")
            return
        memsw = self.path / "memory.memsw.limit_in_bytes"
        # v1 wants limit_in_bytes <= memsw.limit_in_bytes at every step: try both orders.
        try:
            _write(self.path / "memory.limit_in_bytes", limit)
            if memsw.exists():
                _write(memsw, limit)
        except OSError:
            _write(memsw, limit)
            _write(self.path / "memory.limit_in_bytes", limit)

    def wrap(self, cmd: list[str]) -> list[str]:
        """``cmd`` started inside this cgroup (it joins before it runs)."""
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.path / "cgroup.procs"),
                *cmd]

    def oom_kills(self) -> int:
        """How many processes the OOM killer has ended in this cgroup so far."""
        name = "memory.events" if self.version == "v2" else "memory.oom_control"
        with contextlib.suppress(OSError, ValueError):
            for line in (self.path / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0


def _own_v1_group(root: Path) -> Path:
    """The grader's own cgroup in the v1 memory hierarchy (``root`` if not found)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                # A slot's own group, when the grader runs inside one, is not a parent.
                parts = [p for p in path.strip("/").split("/") if p]
                if GROUP in parts:
                    parts = parts[:parts.index(GROUP)]
                return root.joinpath(*parts)
    return root


def _write(path: Path, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)
