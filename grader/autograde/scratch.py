"""Scratch space for one sandboxed kernel: the only places it may write, on a
size-limited tmpfs, so a notebook cannot fill the grader's disk.

The sandbox lets a kernel write two host folders: the student's autograded lesson
folder (its working directory, where the evidence files go) and a run folder (the
connection file and the ipc sockets). Per-file limits (``RLIMIT_FSIZE``) do not stop
a loop that writes many files, so both live on one tmpfs of ``Sandbox.folder_size``
bytes while the kernel runs: ``<scratch>/work`` is a copy of the lesson folder, bound
into the sandbox at the lesson folder's own path (the kernel sees no difference),
and ``<scratch>/run`` is the run folder. Past the size, writes fail with "No space
left on device" in the student's cell; nothing else on the machine notices. The
caller may name subfolders that get a tmpfs of their own (the grader names the
evidence folder, where the test cells record, and sizes it with
``Sandbox.evidence_size``), so a notebook that fills its space by accident still has
its later test cells recorded and judged. The kernel's tmpfs pages are also charged to its memory
cgroup (:mod:`grader.autograde.cgroup`).

When the kernel is gone, :meth:`Scratch.copy_back` makes the lesson folder what the
kernel left in ``work`` (regular files and folders only: links and special files are
removed first, see :func:`grader.autograde.slots.remove_specials`), so the trusted grader reads
the evidence from the real folder as before, and at most ``folder_size`` bytes reach
the disk. Mounting needs root; where it fails, the kernel writes the lesson folder
directly, as without this module, and the log says so.

Without root (the sandbox's user mode, :mod:`grader.autograde.userns`), the tmpfs is
mounted at the same path in a user and mount namespace of a helper process: there
``<scratch>`` is the tmpfs, and the kernel's sandbox starts inside it; on the host,
``<scratch>/work`` and ``<scratch>/run`` are links to the same folders seen through
``/proc/<helper>/root``, so the grader (its ipc sockets included) and the sandbox use
the same paths. The tmpfs goes with the helper, which dies with the grader.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .userns import MountNamespace

#: Below this many free bytes at the end, the notebook is said to have filled its space.
FULL_MARGIN = 64 * 1024
#: Scratch folders are ``<tmp>/lab-k-<uid>-<random>``: a slot's are found by its uid.
PREFIX = "lab-k-"
#: In user mode, ``<tmp>/lab-u-<uid>-<random>`` (every worker has the grader's uid, and
#: the tmpfs goes with its helper, so none is cleared by another).
USER_PREFIX = "lab-u-"


class Scratch:
    """One kernel's tmpfs (or a plain folder where none could be mounted)."""

    def __init__(self, path: Path, mounted: bool, size: int,
                 namespace: MountNamespace | None = None) -> None:
        self.path, self.mounted, self.size = path, mounted, size
        #: user mode: the helper whose namespace holds the tmpfs
        self.namespace = namespace
        self.staged = False  # only a complete copy is ever copied back
        self.own_mounts: list[Path] = []  # subfolders with a tmpfs of their own

    @classmethod
    def create(cls, size: int, uid: int, user_mode: bool = False) -> Scratch:
        """A new scratch folder for the slot ``uid``, on a tmpfs of ``size`` bytes when
        ``size`` > 0 and the mount succeeds; ``run/`` is made inside it. ``user_mode``:
        the tmpfs is mounted in a user namespace (see the module docstring)."""
        if not (user_mode and size > 0):
            path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{uid}-"))
            scratch = cls(path, size > 0 and _mount_tmpfs(path, size), size)
            scratch.run_dir.mkdir()
            return scratch
        path = Path(tempfile.mkdtemp(prefix=f"{USER_PREFIX}{uid}-"))
        try:
            namespace = MountNamespace.start()
        except OSError:
            scratch = cls(path, False, size)
            scratch.run_dir.mkdir()
            return scratch
        if not namespace.mount_tmpfs(path, size):
            namespace.close()
            scratch = cls(path, False, size)
            scratch.run_dir.mkdir()
            return scratch
        inside = namespace.view(path)
        (inside / "run").mkdir()  # first: a link to a live helper never dangles
        for name in ("run", "work"):
            (path / name).symlink_to(inside / name)
        clear_stale_links(uid)
        return cls(path, True, size, namespace)

    @property
    def _real_work(self) -> Path:
        """``work`` as the grader writes it (through the helper in user mode)."""
        return self.namespace.view(self.work) if self.namespace else self.work

    @property
    def run_dir(self) -> Path:
        return self.path / "run"

    @property
    def work(self) -> Path:
        return self.path / "work"

    def stage(self, folder: str | Path, own_space: Sequence[str] = (), own_size: int = 0) -> Path:
        """The folder the kernel will write: a copy of ``folder`` on the tmpfs, or
        ``folder`` itself where there is no tmpfs. Each subfolder named in
        ``own_space`` (relative) gets a tmpfs of its own of ``own_size`` bytes (at
        most the scratch's size)."""
        if not self.mounted:
            return Path(folder)
        shutil.copytree(folder, self._real_work, symlinks=True)
        for name in own_space:
            sub = self.work / name
            (self._real_work / name).mkdir(parents=True, exist_ok=True)
            self.mount(sub, min(own_size, self.size))
            self.own_mounts.append(sub)
        self.staged = True
        return self.work

    def host(self, name: str) -> Path:
        """Where the grader reads and writes the subfolder ``name`` (through the helper
        in user mode)."""
        path = self.path / name
        return self.namespace.view(path) if self.namespace else path

    def mount(self, path: Path, size: int) -> None:
        """Mount a tmpfs of ``size`` bytes at ``path`` (inside the scratch); OSError if not."""
        mount = self.namespace.mount_tmpfs if self.namespace else _mount_tmpfs
        if not mount(path, size):
            raise OSError(f"could not mount a tmpfs of {size} bytes at {path}")

    def filled(self) -> bool:
        """Whether the kernel used (nearly) all of its space."""
        if not self.mounted:
            return False
        st = os.statvfs(self.run_dir)  # on the tmpfs (through the link in user mode)
        return st.f_bavail * st.f_frsize < FULL_MARGIN

    def copy_back(self, folder: str | Path) -> None:
        """Make ``folder`` hold what the kernel left in ``work`` (call once no process
        of the sandbox is left, and after removing links and special files)."""
        if not (self.mounted and self.staged and self._real_work.is_dir()):
            return
        folder = Path(folder)
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        shutil.copytree(self._real_work, folder, symlinks=True, dirs_exist_ok=True)

    def close(self) -> None:
        """Unmount (lazily: the sandbox's mount namespace may still be going away)
        and remove the scratch folder (user mode: end the helper, whose namespace
        alone holds the tmpfs)."""
        if self.namespace is not None:
            self.namespace.close()
            self.namespace, self.mounted = None, False
            self.own_mounts.clear()
        if self.mounted:
            for sub in reversed(self.own_mounts):
                if os.path.ismount(sub):
                    subprocess.run(["umount", "-l", str(sub)], capture_output=True)
            self.own_mounts.clear()
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True)
            self.mounted = False
        with contextlib.suppress(OSError):
            shutil.rmtree(self.path)


def clear_stale(uid: int) -> int:
    """Unmount and remove the scratch folders of slot ``uid`` that a grader killed
    mid-notebook left behind (call while holding the slot, before its next kernel);
    how many there were."""
    stale = list(Path(tempfile.gettempdir()).glob(f"{PREFIX}{uid}-*"))
    for path in stale:
        Scratch(path, mounted=os.path.ismount(path), size=0).close()
    return len(stale)


def clear_stale_links(uid: int) -> int:
    """Remove the user-mode scratch folders of ``uid`` whose helper is gone (a grader
    killed mid-notebook leaves an empty folder and two links; its tmpfs went with the
    helper); how many there were."""
    stale = [p for p in Path(tempfile.gettempdir()).glob(f"{USER_PREFIX}{uid}-*")
             if (p / "run").is_symlink() and not (p / "run").exists()]
    for path in stale:
        with contextlib.suppress(OSError):
            shutil.rmtree(path)
    return len(stale)


def _mount_tmpfs(path: Path, size: int) -> bool:
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "lab-scratch",
                           str(path)], capture_output=True, text=True)
    return done.returncode == 0
