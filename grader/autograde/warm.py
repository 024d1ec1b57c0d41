"""Warm kernels: a batch worker pays for starting Python, ipykernel and torch once per
slot, not once per notebook, without weakening the sandbox.

Each worker process that called :func:`enable` keeps one :class:`WarmSlot`:
a long-lived sandbox (the same bubblewrap command, uid, limits, memory cgroup and
namespaces as a cold kernel's, :meth:`grader.autograde.sandbox.Sandbox.command`) in which
the zygote (:mod:`grader.autograde.zygote`) has imported the heavy modules once. For each
notebook the slot

1. checks that the zygote answers and that no process of the previous notebook is
   left; otherwise it replaces the whole sandbox;
2. stages the notebook's folder into the sandbox's folder (:data:`FOLDER` inside; a
   size-limited tmpfs outside, as :mod:`grader.autograde.scratch` does for a cold kernel);
3. has the zygote fork the kernel (:class:`grader.autograde.zygote_client.WarmProcess`
   stands in for its ``Popen``);
4. when the notebook ends, has the zygote kill every other process of the sandbox,
   copies what the kernel left back into the notebook's folder (links and special files
   removed first), and empties every folder the kernel could write: its folder and the
   run folder (connection file, sockets, kernel log) from outside; the sandbox's own
   ``/tmp`` the zygote empties.

So every guarantee of the sandbox holds for every notebook: a uid of its own (root
mode), no network, only that student's folder visible and writable, the limits, every
process of the notebook gone at its end. What stays between notebooks is the zygote,
which never runs student code and which student code cannot reach (see its module).
Where a slot cannot start, grading goes on with cold kernels and the log says why.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .cgroup import MemoryCgroup
from .sandbox import Sandbox
from .scratch import Scratch
from .slots import chown_tree, claim_slot, kill_uid, remove_specials
from .userns import PidNamespace
from .zygote_client import Channel, WarmProcess, WarmSlotError

LOG = logging.getLogger(__name__)

#: The notebook's folder as the kernel sees it (the same for every notebook of a slot).
FOLDER = "/home/lab/notebook"
#: How long the zygote may take to start and import the warm modules, seconds.
START_TIMEOUT = 180.0
_SOURCE = Path(__file__).with_name("zygote.py").read_text(encoding="utf-8")


class WarmSlot:
    """One worker's warm sandbox (see the module docstring)."""

    def __init__(self, sandbox: Sandbox, own_space: Sequence[str]) -> None:
        self.sandbox = sandbox
        self.own_space = tuple(own_space)
        self.user_mode = sandbox.resolved_mode() == "user"
        self.uid = -1
        self.cgroup: MemoryCgroup | None = None
        self.scratch: Scratch | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: Channel | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - the zygote's stderr
        self.notebooks = 0

    # --- the sandbox -----------------------------------------------------------------

    def start(self) -> WarmSlot:
        """Start the sandbox and wait for the zygote; WarmSlotError (all undone) if not."""
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        sandbox = self.sandbox
        self.uid, self.cgroup = claim_slot(sandbox, LOG)
        self.scratch = scratch = Scratch.create(sandbox.folder_size, self.uid,
                                                user_mode=self.user_mode)
        if not scratch.mounted:
            raise WarmSlotError("the warm sandbox needs its size-limited scratch tmpfs, which "
                                "could not be mounted here")
        empty = Path(tempfile.mkdtemp(prefix="lab-warm-"))
        try:
            scratch.stage(empty, self.own_space, sandbox.evidence_size)
        finally:
            empty.rmdir()
        if not self.user_mode:
            for name in ("work", "run"):
                chown_tree(scratch.host(name), self.uid, sandbox.gid)
        self._launch(scratch)

    def _launch(self, scratch: Scratch) -> None:
        """Start bwrap with the zygote inside; wait until it has imported its modules."""
        env = self.sandbox.kernel_env(dict(os.environ))
        cmd = self.sandbox.command([sys.executable, "-c", _SOURCE], folder=FOLDER,
                                   run_dir=scratch.run_dir, uid=self.uid, env=env,
                                   folder_source=scratch.work)
        if scratch.namespace is not None:
            cmd = scratch.namespace.enter(cmd)
        if self.cgroup is not None:
            cmd = self.cgroup.wrap(cmd)
        self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self._log, start_new_session=True,
                                        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        self.channel = Channel(self.process)
        try:
            ready = self.channel.reply(START_TIMEOUT)
        except WarmSlotError as exc:
            raise WarmSlotError(f"{exc}: {self.log_tail()}") from None
        if "ready" not in ready:
            raise WarmSlotError(f"the warm sandbox did not start: {ready}")
        # What warming up left in /tmp (font caches) goes too: every notebook, the
        # first included, starts from the same empty /tmp.
        if self.channel.request({"op": "scrub"}).get("tmp_left"):
            raise WarmSlotError("the warm sandbox could not empty its /tmp")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, size: int = 600) -> str:
        """The end of the zygote's own log (what it printed while starting; "" once closed)."""
        with contextlib.suppress(OSError, ValueError):
            self._log.seek(0, os.SEEK_END)
            self._log.seek(max(0, self._log.tell() - size))
            return self._log.read().decode("utf-8", "replace").strip()
        return ""

    # --- one notebook ------------------------------------------------------------------

    @property
    def run_dir(self) -> str:
        assert self.scratch is not None
        return str(self.scratch.run_dir)

    def begin(self, folder: str) -> Path:
        """Stage ``folder`` as the kernel's folder; where the grader sees it while it runs."""
        assert self.scratch is not None and self.channel is not None
        if self.channel.request({"op": "count"})["count"]:
            raise WarmSlotError("a process of an earlier notebook is still in the sandbox")
        work = self.scratch.host("work")
        shutil.copytree(folder, work, symlinks=True, dirs_exist_ok=True)
        if not self.user_mode:
            chown_tree(work, self.uid, self.sandbox.gid)
        self.notebooks += 1
        return work

    def launch(self, kernel_cmd: list[str], env: dict[str, str], log: str) -> WarmProcess:
        """Fork a kernel for ``kernel_cmd`` (``python -m ipykernel_launcher ARGS``)."""
        assert self.channel is not None
        if "ipykernel_launcher" not in kernel_cmd:
            raise WarmSlotError(f"a warm kernel runs ipykernel only, not {kernel_cmd[:3]}")
        argv = kernel_cmd[kernel_cmd.index("ipykernel_launcher") + 1:]
        reply = self.channel.request({"op": "fork", "cwd": FOLDER, "env": env, "argv": argv,
                                      "log": log})
        if "pid" not in reply:
            raise WarmSlotError(f"the warm sandbox could not fork a kernel: {reply}")
        _LAUNCHES[0] += 1
        return WarmProcess(self.channel, int(reply["pid"]))

    def count(self, kernel: int | None) -> int:
        """Processes in the sandbox besides the zygote and ``kernel``."""
        assert self.channel is not None
        return int(self.channel.request({"op": "count", "exclude": [kernel or 0]})["count"])

    def end(self, folder: str) -> bool:
        """Kill what is left, copy the kernel's folder back into ``folder``, empty the
        sandbox's folders; whether the kernel filled its space. A slot that cannot be
        made clean is closed (the next notebook gets a new one)."""
        assert self.scratch is not None and self.channel is not None
        scratch = self.scratch
        clean = False
        try:
            done = self.channel.request({"op": "scrub"})
            clean = done.get("left") == 0 and done.get("tmp_left") == 0
        except WarmSlotError as exc:
            LOG.info("closing the warm sandbox: %s", exc)
        if not clean:
            self._kill_all()
        work = scratch.host("work")
        remove_specials(work)
        filled = scratch.filled()
        scratch.copy_back(folder)
        try:
            for name in ("work", "run"):
                empty_folder(scratch.host(name))
        except OSError as exc:
            LOG.info("closing the warm sandbox: could not empty it (%s)", exc)
            clean = False
        if not clean:
            self.close()
        return filled

    # --- the end -----------------------------------------------------------------------

    def _kill_all(self) -> None:
        """Every process of the sandbox, the zygote and bwrap included."""
        if self.process is not None and self.process.poll() is None:
            pidns = PidNamespace.of(self.process.pid) if self.user_mode else None
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, 9)
            if pidns is not None:
                pidns.kill()
        if not self.user_mode and self.uid >= 0:
            kill_uid(self.uid)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)

    def close(self) -> None:
        """End the sandbox (every process in it) and remove its scratch."""
        if self.process is not None:
            with contextlib.suppress(OSError):
                assert self.process.stdin is not None
                self.process.stdin.close()  # the zygote scrubs and ends
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
            self._kill_all()
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        if self.scratch is not None:
            self.scratch.close()
            self.scratch = None
        self.channel = None
        self._log.close()


def empty_folder(path: Path) -> None:
    """Remove everything in ``path``, never following links; a mount point in it is kept
    and emptied. Folders the kernel made unreadable are opened up first."""
    for entry in list(path.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            if os.path.ismount(entry):
                empty_folder(entry)
                continue
            _open_up(entry)
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _open_up(path: Path) -> None:
    """Give the owner full access to ``path`` and the folders in it (user mode: the
    kernel ran as the grader's uid and may have taken its own access away)."""
    os.chmod(path, 0o700, follow_symlinks=False)
    for root, dirs, _ in os.walk(path):
        for name in dirs:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(root, name), 0o700, follow_symlinks=False)


# --- the worker's slot ---------------------------------------------------------------------

#: This process's slot and the settings it was started with; None: warm kernels not enabled.
_SLOT: list[tuple[Any, WarmSlot]] | None = None
_FAILED: dict[Any, str] = {}
_LAUNCHES = [0]


def enable() -> None:
    """Let this process's sandbox sessions use a warm slot (a batch worker, local or Dask,
    calls it; it grades one notebook at a time)."""
    global _SLOT
    if _SLOT is None:
        _SLOT = []


def disable() -> None:
    """Close this process's warm slot; later sessions start cold kernels."""
    global _SLOT
    held, _SLOT = _SLOT or [], None
    for _, slot in held:
        slot.close()


def launches() -> int:
    """How many kernels this process's warm slots have forked so far."""
    return _LAUNCHES[0]


def slot_for(sandbox: Sandbox, own_space: Sequence[str],
             log: logging.Logger | None = None) -> WarmSlot | None:
    """This process's warm slot for these settings (started if needed), or None: not
    enabled, switched off (``Sandbox.warm_kernels``), or it cannot start here."""
    if _SLOT is None or not sandbox.warm_kernels or sandbox.unsafe_no_sandbox:
        return None
    key = (_settings(sandbox), tuple(own_space))
    if key in _FAILED:
        return None
    if _SLOT and _SLOT[0][0] == key and _SLOT[0][1].alive():
        return _SLOT[0][1]
    while _SLOT:
        _SLOT.pop()[1].close()
    try:
        slot = WarmSlot(sandbox, own_space).start()
    except (WarmSlotError, OSError) as exc:
        _FAILED[key] = str(exc)
        (log or LOG).warning("warm kernels are off in this worker, kernels start cold: %s", exc)
        return None
    _SLOT.append((key, slot))
    return slot


def _settings(sandbox: Sandbox) -> tuple[Any, ...]:
    """What a slot's sandbox was started with: its configurable settings."""
    names = sorted(sandbox.trait_names(config=True))
    return tuple((n, repr(getattr(sandbox, n))) for n in names)
