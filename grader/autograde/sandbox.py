"""The sandbox a student's kernel runs in at autograde (bubblewrap, Linux).

Each kernel is started as::

    bwrap --unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup-try
          --die-with-parent --clearenv --setenv ... (a short list; no JPY_PARENT_PID)
          --ro-bind /usr /usr (+ /bin /lib /lib64 /sbin links) --ro-bind /etc /etc
          --proc /proc --dev /dev --tmpfs /tmp (size-limited: HOME and TMPDIR)
          --ro-bind <python's base install> --ro-bind <the venv>   (read-only)
          --bind <the notebook's folder> (the only writable host folder)
          --bind <a private run folder> (connection file and ipc sockets)
          -- setpriv --reuid <uid> --regid <gid> --clear-groups --no-new-privs
                     --inh-caps=-all --bounding-set=-all
          -- prlimit --as --cpu --nproc --fsize --nofile --core=0
          -- python -m ipykernel_launcher -f <connection file>

so the kernel and everything it starts:

* has no network (a new network namespace; the kernel talks to the grader over
  Unix sockets, jupyter's ``ipc`` transport);
* sees only the system folders, the Python environment and its own lesson folder
  (the student's autograded copy: the notebook, labkit/, blocks/, fixtures.pt).
  The project folder is not mounted, so the course source, the gradebook, the
  course secret, ``solutions/`` and the ``reference``/``grader`` packages (installed
  editable from the project folder) cannot be read or imported, nor can other
  students' folders;
* writes only its own folder and a private tmpfs, both limited in size (the folder
  is a scratch copy on a tmpfs while the kernel runs, :mod:`grader.autograde.scratch`);
* runs as an unprivileged uid of its own (one per concurrent grader slot, so the
  process-count limit, which the kernel counts per real uid, is not shared), with
  limits on address space, CPU time, processes, file size and open files;
* with all its processes together, may use at most ``memory_total`` bytes of memory
  where the machine allows a memory cgroup (:mod:`grader.autograde.cgroup`);
* dies with its grader: a new pid namespace, ``--die-with-parent``, and every
  process of the slot's uid is killed when the notebook ends (:mod:`grader.autograde.slots`).

That is the *root* mode (``Sandbox.mode``; ``auto`` picks it when the grader runs as
root). For an ordinary user the *user* mode (:mod:`grader.autograde.userns`) adds
``--unshare-user --disable-userns --new-session --remount-ro /`` and drops ``setpriv``:
the kernel runs as the grader's uid mapped into a user namespace of its own, without
capabilities; the same mounts keep the course, the project and other students out
(they are not there, whatever the uid could read); its processes are counted and
killed through its pid namespace; its folder's tmpfs is mounted in a helper's user
namespace, and the sandbox starts there (``nsenter``). No memory cgroup unless one is
writable: memory is then bounded per process only.

Where bubblewrap or namespaces are not available, :meth:`Sandbox.probe` says why,
and grading refuses unless the instructor opts out explicitly
(``Sandbox.unsafe_no_sandbox``, the CLI's ``--unsafe-no-sandbox``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from traitlets import Bool, Dict, Enum, Integer, List, Unicode
from traitlets.config import Configurable

from . import userns
from .cgroup import MemoryCgroup, memory_controller
from .kernel_manager import SandboxedKernelManager

GiB = 1 << 30
MiB = 1 << 20

#: Environment variables passed from the grader to the kernel (all others are dropped).
PASSED_ENV = ("NBGRADER_EXECUTION", "MPLBACKEND", "LANG", "LC_ALL", "PYTHONHASHSEED", "TZ")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot start here; the message says why and what to do."""


class Sandbox(Configurable):
    """How a student's kernel is confined at autograde (see the module docstring)."""

    mode = Enum(
        ["auto", "root", "user"], "auto",
        help="How kernels are confined. root: each kernel runs as a uid of its own (from "
        "uid_base), its folder on a tmpfs and its memory in a cgroup; needs the grader to run "
        "as root. user: for an ordinary user (cluster jobs, JupyterHub accounts): each kernel "
        "gets a user and pid namespace of its own, runs as the grader's uid mapped into it "
        "(no capabilities), its folder on a tmpfs mounted in a user namespace; memory is "
        "bounded per process (RLIMIT_AS) unless a cgroup is writable. auto: root when the "
        "grader runs as root, else user.",
    ).tag(config=True)

    unsafe_no_sandbox = Bool(
        False,
        help="UNSAFE: run students' kernels WITHOUT the sandbox, with the grader's own "
        "permissions, network and file access (the course secret, the gradebook and "
        "other students' files become readable and writable by student code). Only for "
        "machines where bubblewrap cannot run; the CLI's --unsafe-no-sandbox sets it and "
        "prints a warning.",
    ).tag(config=True)

    bwrap = Unicode("bwrap", help="The bubblewrap executable (a name on PATH or a path). "
                    "Debian/Ubuntu: apt-get install bubblewrap.").tag(config=True)

    uid_base = Integer(
        64100,
        help="Kernels run as uid uid_base + slot (slot 0, 1, ... one per concurrently "
        "grading process, claimed with a lock file), so each has its own process count "
        "and its leftovers can be killed by uid. Choose a range no real user has.",
    ).tag(config=True)

    slots = Integer(64, help="How many uids (from uid_base) graders may claim at once.").tag(config=True)

    gid = Integer(65534, help="The group id kernels run with (65534: nogroup).").tag(config=True)

    memory = Integer(
        6 * GiB,
        help="Address-space limit (RLIMIT_AS, bytes) of every process in the sandbox. "
        "Importing torch, numpy and matplotlib needs about 0.7 GiB; beyond the limit "
        "allocations fail (MemoryError / RuntimeError in the cell). 0: no limit.",
    ).tag(config=True)

    cpu_time = Integer(
        900,
        help="CPU-time limit (RLIMIT_CPU, seconds) of every process in the sandbox; a "
        "process that exceeds it is killed (SIGXCPU/SIGKILL). 0: no limit.",
    ).tag(config=True)

    processes = Integer(
        128,
        help="Process and thread limit (RLIMIT_NPROC) for the kernel's uid: the kernel "
        "with its threads needs about 20; a fork bomb stops here. 0: no limit.",
    ).tag(config=True)

    file_size = Integer(
        512 * MiB,
        help="Largest file a sandboxed process may write (RLIMIT_FSIZE, bytes). 0: no limit.",
    ).tag(config=True)

    open_files = Integer(256, help="Open-file limit (RLIMIT_NOFILE) in the sandbox. 0: no "
                         "limit.").tag(config=True)

    memory_total = Integer(
        8 * GiB,
        help="Memory (bytes) for the whole sandbox: the kernel and every process it "
        "starts, together. Enforced with a memory cgroup (grader/autograde/cgroup.py) where the "
        "grader can create one (see `cgroup`); beyond it a process of that sandbox is "
        "killed, never the grader or another kernel. 0: no such limit.",
    ).tag(config=True)

    cgroup = Enum(
        ["auto", "required", "off"], "auto",
        help="The memory cgroup behind `memory_total`. auto: used where the machine has a "
        "writable memory controller (cgroup v2 or v1; needs root), else only the "
        "per-process limits apply. required: refuse to grade without one. off: never.",
    ).tag(config=True)

    folder_size = Integer(
        1 * GiB,
        help="Space (bytes) for what the kernel writes in the student's folder and its run "
        "folder, together: both are on a tmpfs of this size while it runs (grader/autograde/scratch.py), "
        "and what it left is copied back after, so a notebook cannot fill the grader's disk. "
        "Needs root to mount; where the mount fails the folder is written directly. 0: off.",
    ).tag(config=True)

    evidence_size = Integer(
        256 * MiB,
        help="Space (bytes, at most folder_size) of the tmpfs of its own that the evidence "
        "folder (.lab_evidence, where the test cells record) gets inside the scratch "
        "folder, so a notebook that fills its folder still has its later test cells "
        "recorded (a lesson's evidence is a few MiB).",
    ).tag(config=True)

    tmp_size = Integer(256 * MiB, help="Size of the sandbox's private /tmp (a tmpfs that is "
                       "also HOME and TMPDIR), bytes.").tag(config=True)

    threads = Integer(
        0,
        help="OMP_NUM_THREADS / MKL_NUM_THREADS in the kernel (torch's intra-op threads). "
        "0: the machine's cores divided by the number of grading workers.",
    ).tag(config=True)

    read_only = List(
        Unicode(), [],
        help="Extra host paths mounted read-only at the same place (e.g. a data set the "
        "lessons read). Never the course folder or the project folder.",
    ).tag(config=True)

    extra_env = Dict(
        {}, help="Extra environment variables set in the kernel.").tag(config=True)

    warm_kernels = Bool(
        True,
        help="Batch workers fork each kernel in a long-lived sandbox of their own, from a "
        "process that imported ipykernel and torch once (grader/autograde/warm.py), emptied "
        "between notebooks. False: every kernel is a new process in a new sandbox.",
    ).tag(config=True)

    # --- the command -------------------------------------------------------------------

    def python_roots(self) -> list[str]:
        """What the kernel's interpreter needs: the venv and the base installation."""
        roots = []
        for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
            real = os.path.realpath(p)
            if not real.startswith("/usr/"):
                roots.append(p)
                if real != p:
                    roots.append(real)
        return sorted(set(roots))

    def resolved_bwrap(self) -> str | None:
        return shutil.which(self.bwrap)

    def thread_count(self, workers: int = 1) -> int:
        if self.threads > 0:
            return self.threads
        return max(1, (os.cpu_count() or 1) // max(1, workers))

    def resolved_mode(self) -> str:
        """``root`` or ``user``: :attr:`mode`, with ``auto`` decided by the grader's euid."""
        if self.mode != "auto":
            return self.mode
        return "root" if os.geteuid() == 0 else "user"

    def command(self, kernel_cmd: list[str], *, folder: str | Path, run_dir: str | Path,
                uid: int, env: dict[str, str] | None = None, workers: int = 1,
                folder_source: str | Path | None = None) -> list[str]:
        """``kernel_cmd`` wrapped in bwrap, setpriv (root mode) and prlimit. The
        kernel's working folder is ``folder``; its content comes from ``folder_source``
        (a scratch copy, :mod:`grader.autograde.scratch`) when given. ``uid`` is the
        slot's (root mode; the user mode runs the grader's own uid)."""
        bwrap = self.resolved_bwrap()
        if bwrap is None:
            raise SandboxUnavailable(_missing_bwrap(self.bwrap))
        folder, run_dir = str(Path(folder).resolve()), str(Path(run_dir).resolve())
        source = str(Path(folder_source).resolve()) if folder_source else folder
        args = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--hostname", "sandbox"]
        if self.resolved_mode() == "user":
            # (--cap-drop: bwrap started by root would otherwise keep them in the namespace)
            args += ["--unshare-user", "--disable-userns", "--new-session", "--cap-drop", "ALL"]
        args += self._mount_args(folder, source, run_dir)
        if self.resolved_mode() == "user":
            args += ["--remount-ro", "/"]  # the skeleton's folders are the kernel's own there
        args += ["--chdir", folder, "--clearenv", *self._env_args(env, workers), "--"]
        if self.resolved_mode() == "root":
            args += [shutil.which("setpriv") or "setpriv", "--reuid", str(uid), "--regid",
                     str(self.gid), "--clear-groups", "--no-new-privs", "--inh-caps=-all",
                     "--bounding-set=-all", "--"]
        # (user mode: bwrap itself sets no_new_privs and drops every capability)
        args += [shutil.which("prlimit") or "prlimit", "--core=0"]
        for flag, value in (("--as", self.memory), ("--cpu", self.cpu_time),
                            ("--nproc", self.processes), ("--fsize", self.file_size),
                            ("--nofile", self.open_files)):
            if value > 0:
                args.append(f"{flag}={value}")
        return [*args, "--", *kernel_cmd]

    def _mount_args(self, folder: str, source: str, run_dir: str) -> list[str]:
        """What the sandbox sees: system folders and the Python environment read-only,
        a private /tmp, the notebook's folder and the run folder read-write. Nothing
        else of the host (the course, the project, other students) is mounted."""
        args = ["--ro-bind", "/usr", "/usr"]
        for name in ("bin", "lib", "lib32", "lib64", "sbin"):
            path = Path("/") / name
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        args += ["--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", str(self.tmp_size), "--tmpfs", "/tmp"]
        # (host path, path in the sandbox, mode)
        mounts = [(p, p, "ro") for p in [*self.python_roots(), *self.read_only]]
        mounts += [(source, folder, "rw"), (run_dir, run_dir, "rw")]
        made: set[str] = {"/", "/tmp", "/usr", "/etc"}
        # Parents bwrap would otherwise create as 0700; in user mode the kernel's uid owns
        # them, so they are read-only to it (it could chmod those in its private /tmp back,
        # which reaches nothing of the host).
        perms = "0555" if self.resolved_mode() == "user" else "0755"
        for _, path, _ in mounts:
            for parent in reversed(Path(path).parents):
                p = str(parent)
                if p not in made:
                    made.add(p)
                    args += ["--perms", perms, "--dir", p]
        for src, path, mode in mounts:
            if os.path.exists(src):
                args += ["--ro-bind" if mode == "ro" else "--bind", src, path]
        return args

    def _env_args(self, env: dict[str, str] | None, workers: int) -> list[str]:
        """bwrap's arguments setting :meth:`kernel_env`."""
        args = []
        for key, value in sorted(self.kernel_env(env, workers).items()):
            args += ["--setenv", key, str(value)]
        return args

    def kernel_env(self, env: dict[str, str] | None, workers: int = 1) -> dict[str, str]:
        """The kernel's whole environment (a short list; of ``env``, the grader's, only
        :data:`PASSED_ENV` is passed)."""
        threads = str(self.thread_count(workers))
        kernel_env = {"PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp",
                      "TMPDIR": "/tmp", "MPLCONFIGDIR": "/tmp/matplotlib", "LANG": "C.UTF-8",
                      "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
                      "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
                      "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        for key in PASSED_ENV:
            if env and key in env:
                kernel_env[key] = env[key]
        kernel_env.update({k: str(v) for k, v in self.extra_env.items()})
        return kernel_env

    def memory_cgroup(self, uid: int) -> MemoryCgroup | None:
        """The slot's memory cgroup, or None where it is off or (``auto``) unavailable;
        SandboxUnavailable where it is ``required`` and cannot be made."""
        if self.cgroup == "off" or self.memory_total <= 0:
            return None
        try:
            return MemoryCgroup.for_slot(uid, self.memory_total)
        except OSError as exc:
            if self.cgroup == "required":
                raise SandboxUnavailable(f"Sandbox.cgroup is 'required' but: {exc}") from None
            return None

    def probe(self) -> None:
        """Start a trivial sandbox with the full set of options; raise
        :class:`SandboxUnavailable` saying why when it cannot run."""
        mode = self.resolved_mode()
        if not sys.platform.startswith("linux"):
            raise SandboxUnavailable("the sandbox needs Linux (bubblewrap and namespaces)")
        if self.resolved_bwrap() is None:
            raise SandboxUnavailable(_missing_bwrap(self.bwrap))
        if mode == "root" and os.geteuid() != 0:
            raise SandboxUnavailable(
                "Sandbox.mode is 'root', which runs each kernel as its own unprivileged uid "
                "and needs the grader to run as root; as an ordinary user, use mode 'user' "
                "(or 'auto')")
        why = userns.unavailable() if mode == "user" else None
        if why:
            raise SandboxUnavailable(
                f"the grader is not root, and its sandbox for ordinary users needs "
                f"unprivileged user namespaces, but {why}; or run the grader as root")
        if self.cgroup == "required" and self.memory_total > 0 and memory_controller() is None:
            raise SandboxUnavailable(
                "Sandbox.cgroup is 'required' but this machine has no writable memory cgroup "
                "controller (cgroup v2 with memory, or v1's memory hierarchy)"
                + (" for this user" if os.geteuid() != 0 else ""))
        for tool in ("setpriv", "prlimit", "nsenter"):
            if shutil.which(tool) is None:
                raise SandboxUnavailable(f"{tool} (util-linux) is missing")
        self._probe_run(mode)

    def _probe_run(self, mode: str) -> None:
        with tempfile.TemporaryDirectory(prefix="lab-probe-") as tmp:
            folder = Path(tmp) / "work"
            folder.mkdir()
            if mode == "root":
                os.chown(folder, self.uid_base, self.gid)
            cmd = self.command([sys.executable, "-c", PROBE], folder=folder, run_dir=folder,
                               uid=self.uid_base)
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise SandboxUnavailable(f"bubblewrap did not run: {exc}") from None
            if done.returncode != 0 or "sandbox-ok" not in done.stdout:
                detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
                where = ("namespaces disabled, or a container without the needed privileges?"
                         if mode == "root" else "user namespaces not allowed for this user, "
                         "or bubblewrap without --disable-userns (0.8 or later)?")
                raise SandboxUnavailable(
                    f"bubblewrap could not start a sandbox here ({where}): " + " | ".join(detail))


PROBE = """
import os, socket
assert os.getuid() != 0
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1)
    raise SystemExit("network reachable")
except OSError:
    pass
print("sandbox-ok")
"""


def _missing_bwrap(name: str) -> str:
    return (f"bubblewrap ({name!r}) is not installed; install it (Debian/Ubuntu: "
            "apt-get install -y bubblewrap; Fedora: dnf install bubblewrap) or, only if you "
            "accept running students' code with the grader's own permissions, pass "
            "--unsafe-no-sandbox")

__all__ = ["GiB", "MiB", "PASSED_ENV", "Sandbox", "SandboxUnavailable", "SandboxedKernelManager"]
