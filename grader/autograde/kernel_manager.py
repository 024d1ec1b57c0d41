"""jupyter's kernel manager with the kernel command wrapped by the sandbox
(:class:`grader.autograde.sandbox.Sandbox`; re-exported there)."""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING, Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Type

from .cgroup import MemoryCgroup
from .kernel_client import ReadyKernelClient
from .userns import MountNamespace, PidNamespace

if TYPE_CHECKING:
    from .sandbox import Sandbox
    from .warm import WarmSlot


class SandboxedKernelManager(AsyncKernelManager):
    """jupyter's kernel manager with the kernel command wrapped by :class:`Sandbox`.

    Set ``sandbox``, ``folder`` (the notebook's folder), ``run_dir`` and ``uid``
    before starting. The kernel talks over Unix sockets in ``run_dir`` (transport
    ``ipc``), is interrupted by message (no signal crosses the sandbox), and its own
    stdout/stderr go to ``run_dir/kernel.log``. In the sandbox's user mode the kernel
    starts inside ``namespace`` (where its scratch tmpfs is mounted), when given, and
    :meth:`pid_namespace` finds its processes. Given a warm slot
    (:mod:`grader.autograde.warm`), the kernel is forked inside that slot's sandbox
    instead of started as a new one. Its clients are :class:`ReadyKernelClient`s, which
    know the kernel is ready without waiting for IOPub to fall silent."""

    client_class = DottedObjectName("grader.autograde.kernel_client.ReadyKernelClient")
    client_factory = Type(klass=ReadyKernelClient, config=True)

    sandbox: Sandbox | None = None
    folder: str = ""
    folder_source: str = ""
    run_dir: str = ""
    uid: int = -1
    workers: int = 1
    cgroup: MemoryCgroup | None = None
    namespace: MountNamespace | None = None
    _pidns: PidNamespace | None = None
    warm: WarmSlot | None = None

    def configure(self, sandbox: Sandbox, folder: str, run_dir: str, uid: int,
                  workers: int = 1, cgroup: MemoryCgroup | None = None,
                  folder_source: str = "", namespace: MountNamespace | None = None,
                  warm: WarmSlot | None = None) -> None:
        self.sandbox, self.folder, self.run_dir, self.uid = sandbox, folder, run_dir, uid
        self.workers, self.cgroup, self.folder_source = workers, cgroup, folder_source
        self.namespace, self.warm = namespace, warm
        self.transport = "ipc"
        self.ip = os.path.join(run_dir, "k")
        self.connection_file = os.path.join(run_dir, "kernel.json")

    @property
    def log_path(self) -> str:
        return os.path.join(self.run_dir, "kernel.log")

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        assert self.sandbox is not None, "configure() the sandboxed kernel manager first"
        if self.sandbox.resolved_mode() == "root":
            os.chown(self.connection_file, self.uid, self.sandbox.gid)
        env = kw.pop("env", None) or {}
        if self.warm is not None:
            self._launch_warm(self.warm, kernel_cmd, env)
            return
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        cmd = self.sandbox.command(kernel_cmd, folder=self.folder, run_dir=self.run_dir,
                                   uid=self.uid, env=env, workers=self.workers,
                                   folder_source=self.folder_source or None)
        if self.namespace is not None:
            cmd = self.namespace.enter(cmd)
        if self.cgroup is not None:
            cmd = self.cgroup.wrap(cmd)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the kernel's stdout and stderr
        kw["stdout"] = log
        kw["stderr"] = subprocess.STDOUT
        kw["stdin"] = subprocess.DEVNULL
        try:
            await super()._async_launch_kernel(cmd, **kw)
        finally:
            log.close()

    def _launch_warm(self, warm: WarmSlot, kernel_cmd: list[str], env: dict[str, str]) -> None:
        """Fork the kernel in the warm slot; the provisioner holds it as its process
        (no process group of ours: signals go through the slot)."""
        assert self.sandbox is not None and self.provisioner is not None
        process = warm.launch(kernel_cmd, self.sandbox.kernel_env(env, self.workers),
                              log=self.log_path)
        provisioner: Any = self.provisioner
        provisioner.process, provisioner.pid, provisioner.pgid = process, process.pid, None
        provisioner.cwd = self.folder
        self._reconcile_connection_info(provisioner.connection_info)

    async def _async_interrupt_kernel(self) -> None:
        if self.has_kernel:
            msg = self.session.msg("interrupt_request", content={})
            self._connect_control_socket()
            self.session.send(self._control_socket, msg)

    interrupt_kernel = _async_interrupt_kernel  # type: ignore[assignment]

    def exit_status(self) -> int | None:
        process = getattr(self.provisioner, "process", None)
        return None if process is None else process.poll()

    def pid_namespace(self) -> PidNamespace | None:
        """The pid namespace of the running sandbox (found once, while it runs; None
        for a warm kernel, whose slot counts and kills its processes)."""
        if self.warm is not None:
            return None
        process = getattr(self.provisioner, "process", None)
        if self._pidns is None and process is not None and process.poll() is None:
            self._pidns = PidNamespace.of(process.pid)
        return self._pidns

    def log_tail(self, lines: int = 5) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - 4096))
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])
