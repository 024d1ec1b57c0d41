"""``SandboxSession``: the lifetime of one notebook's sandbox, owned by one context
manager.

Entering it claims the process's uid slot (:mod:`grader.autograde.slots`), makes the
slot's memory cgroup (:mod:`grader.autograde.cgroup`), clears the scratch folders a
killed grader left for that slot, and stages the notebook's folder on a size-limited
tmpfs (:mod:`grader.autograde.scratch`) owned by the slot's uid. The caller starts the
kernel with a manager it hands to :meth:`SandboxSession.attach`. Leaving it, however
the notebook ended (an exception included), stops that kernel, kills every process of
the slot's uid, removes the links and special files the kernel left, copies what it
wrote back into the folder, unmounts and removes the scratch, and gives the folder
back to the grader's uid. Without the sandbox (``Sandbox.unsafe_no_sandbox``) it only
stops the kernel.

In the sandbox's user mode (an ordinary user, :mod:`grader.autograde.userns`) there is
no slot uid: the kernel runs as the grader's uid in a user and pid namespace of its
own, so its processes are counted and killed through that pid namespace, the scratch
tmpfs is mounted by a helper in a user namespace, and nothing is chown'd.

In a batch worker (:func:`grader.autograde.warm.enable`) the session borrows its
thread's warm slot instead (:mod:`grader.autograde.warm`): the kernel is forked in that
slot's long-lived sandbox, and leaving the session kills every other process of the
sandbox, copies the folder back and empties the sandbox for the next notebook.

The session also answers what happened in it: processes left running
(:meth:`~SandboxSession.count_leftovers`, while the kernel still runs), a process
killed at the memory limit, the kernel's exit status and the end of its log, and
whether the notebook filled its folder's space.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Sequence
from types import TracebackType

from jupyter_client.manager import KernelManager
from nbclient.util import ensure_async, run_sync

from .cgroup import MemoryCgroup
from .sandbox import Sandbox, SandboxedKernelManager
from .scratch import Scratch
from .slots import chown_tree, claim_slot, kill_uid, remove_specials, uid_processes
from .userns import PidNamespace
from .warm import FOLDER, WarmSlot, slot_for
from .zygote_client import WarmSlotError

LOG = logging.getLogger(__name__)


class SandboxSession:
    """One notebook's sandbox: slot, scratch folder, kernel and clean-up (see the
    module docstring). ``own_space`` names subfolders of the notebook's folder that get
    a tmpfs of their own (``Sandbox.evidence_size`` bytes) inside the scratch."""

    def __init__(self, sandbox: Sandbox, folder: str | os.PathLike[str], *,
                 own_space: Sequence[str] = (), log: logging.Logger | None = None) -> None:
        self.sandbox = sandbox
        self.folder = os.path.realpath(folder)
        self.own_space = tuple(own_space)
        self.log = log or LOG
        self.sandboxed = not sandbox.unsafe_no_sandbox
        self.user_mode = self.sandboxed and sandbox.resolved_mode() == "user"
        self.uid = -1
        self.cgroup: MemoryCgroup | None = None
        self.scratch: Scratch | None = None
        #: The folder the kernel writes: the scratch copy while it runs, ``folder``
        #: itself once copied back (or where there is no scratch).
        self.live = self.folder
        self.run_dir = ""
        self.kernel: KernelManager | None = None
        self.filled = False
        self.leftovers = 0
        self._oom_before = 0
        self._closed = False
        #: The worker's warm slot this notebook's kernel is forked in, if any.
        self.warm: WarmSlot | None = None

    # --- entering ------------------------------------------------------------------------

    def __enter__(self) -> SandboxSession:
        if not self.sandboxed:
            self.log.warning("UNSAFE: running the notebook WITHOUT the sandbox")
            return self
        self.warm = self._warm_slot()
        try:
            if self.warm is None:
                self._open()
        except BaseException:
            self.close()  # whatever was already set up (slot, mounts) is undone
            raise
        return self

    def _open(self) -> None:
        """Claim the slot (root mode), make its cgroup, stage the folder on the scratch."""
        sandbox = self.sandbox
        self.uid, self.cgroup = claim_slot(sandbox, self.log)
        self._oom_before = self.cgroup.oom_kills() if self.cgroup else 0
        self.scratch = Scratch.create(sandbox.folder_size, self.uid, user_mode=self.user_mode)
        if sandbox.folder_size > 0 and not self.scratch.mounted:
            self.log.warning("could not mount a tmpfs for the kernel's folder; it writes the "
                             "folder directly, without a size limit")
        self.run_dir = str(self.scratch.run_dir)
        self.live = str(self.scratch.stage(self.folder, self.own_space, sandbox.evidence_size))
        if not self.user_mode:
            os.chown(self.scratch.path, self.uid, sandbox.gid)
            os.chown(self.run_dir, self.uid, sandbox.gid)
            chown_tree(self.live, self.uid, sandbox.gid)

    def _warm_slot(self) -> WarmSlot | None:
        """Borrow the worker's warm slot, if it has one: its uid, cgroup and run folder,
        the folder staged in it. A slot that is not clean is replaced (once), else the
        kernel starts cold."""
        for _ in range(2):
            warm = slot_for(self.sandbox, self.own_space, self.log)
            if warm is None:
                return None
            try:
                self.live = str(warm.begin(self.folder))
            except (WarmSlotError, OSError) as exc:
                self.log.info("replacing the warm sandbox: %s", exc)
                warm.close()
                continue
            self.uid, self.cgroup, self.run_dir = warm.uid, warm.cgroup, warm.run_dir
            self._oom_before = self.cgroup.oom_kills() if self.cgroup else 0
            return warm
        return None

    def attach(self, km: KernelManager) -> KernelManager:
        """Point a new kernel manager at this sandbox (a :class:`SandboxedKernelManager`
        is told the folder, run folder, uid and cgroup) and own it: leaving the session
        stops its kernel."""
        if self.warm is not None and isinstance(km, SandboxedKernelManager):
            km.configure(self.sandbox, FOLDER, self.run_dir, self.uid, cgroup=self.cgroup,
                         warm=self.warm)
        elif self.sandboxed and isinstance(km, SandboxedKernelManager):
            km.configure(self.sandbox, self.folder, self.run_dir, self.uid,
                         cgroup=self.cgroup, folder_source=self.live,
                         namespace=self.scratch.namespace if self.scratch else None)
        self.kernel = km
        return km

    # --- what happened -------------------------------------------------------------------

    def count_leftovers(self) -> int:
        """Processes the notebook left running, counted while the kernel still runs
        (shutting it down takes its pid namespace, and all in it, down too): every
        process of the uid but the kernel itself (user mode: every process of its pid
        namespace but the kernel and the namespace's init; warm: every process of the
        slot's sandbox but the kernel and the zygote)."""
        if self.warm is not None:
            km = self.kernel
            pid = km.provisioner.pid if isinstance(km, SandboxedKernelManager) \
                and km.provisioner is not None else None
            with contextlib.suppress(WarmSlotError):
                self.leftovers = self.warm.count(pid)
        elif self.user_mode:
            pidns = self._pid_namespace()
            if pidns is not None:
                self.leftovers = max(0, len(pidns.members()) - 2)
        elif self.sandboxed and self.uid >= 0:
            self.leftovers = max(0, len(uid_processes(self.uid)) - 1)
        return self.leftovers

    def _pid_namespace(self) -> PidNamespace | None:
        km = self.kernel
        return km.pid_namespace() if isinstance(km, SandboxedKernelManager) else None

    def oom_killed(self) -> bool:
        """Whether the memory cgroup's OOM killer ended a process during this session."""
        return self.cgroup is not None and self.cgroup.oom_kills() > self._oom_before

    def exit_status(self) -> int | None:
        """The kernel process's exit status; None while it runs or if unknown."""
        km = self.kernel
        if isinstance(km, SandboxedKernelManager):
            return km.exit_status()
        process = getattr(getattr(km, "provisioner", None), "process", None)
        return None if process is None else process.poll()

    def log_tail(self) -> str:
        """The last lines the sandboxed kernel wrote to its own log ("" if none)."""
        return self.kernel.log_tail() if isinstance(self.kernel, SandboxedKernelManager) else ""

    # --- leaving -------------------------------------------------------------------------

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop the kernel, kill the uid's processes, copy back, clean up (once)."""
        if self._closed:
            return
        self._closed = True
        pidns = self._pid_namespace() if self.user_mode and self.warm is None else None
        self._stop_kernel()
        if not self.sandboxed:
            return
        if self.warm is not None:
            self._close_warm(self.warm)
            return
        killed = 0
        if pidns is not None:
            killed = pidns.kill()
        elif not self.user_mode and self.uid >= 0:
            killed = kill_uid(self.uid)
        if killed:
            self.log.info("killed %d leftover sandbox processes", killed)
        removed = remove_specials(self.live)
        if removed:
            self.log.info("removed links and special files left by the kernel: %s", removed[:10])
        if self.scratch is not None:
            try:
                self.filled = self.scratch.filled()
                self.scratch.copy_back(self.folder)
            finally:
                self.scratch.close()
                self.live = self.folder
        if not self.user_mode:
            chown_tree(self.folder, os.getuid(), os.getgid())

    def _close_warm(self, warm: WarmSlot) -> None:
        """Give the slot back empty, the folder holding what the kernel left."""
        try:
            self.filled = warm.end(self.folder)
        finally:
            self.live = self.folder
            if not self.user_mode:
                chown_tree(self.folder, os.getuid(), os.getgid())

    def _stop_kernel(self) -> None:
        """Kill the kernel if nbclient's own shutdown did not (a start that failed
        half-way, a fault while shutting down)."""
        km = self.kernel
        if km is None or not km.has_kernel:
            return
        with contextlib.suppress(Exception):  # it may be gone already
            run_sync(_kill)(km)


async def _kill(km: KernelManager) -> None:
    """Shut a kernel down at once (sync and async kernel managers alike)."""
    await ensure_async(km.shutdown_kernel(now=True))
