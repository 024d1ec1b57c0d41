"""``SafeExecute``: nbgrader's ``Execute``, in the sandbox, surviving what student
code does to its kernel.

It replaces ``Execute`` in ``Autograde.autograde_preprocessors``. The kernel is
started by :class:`grader.autograde.sandbox.SandboxedKernelManager` (bubblewrap: no network,
only its own folder, its own uid, resource limits; see :mod:`grader.autograde.sandbox`).
Faults end or degrade only this notebook, never the batch:

* a cell that runs past ``Execute.timeout`` is interrupted (nbgrader's behaviour)
  and the notebook goes on; if the kernel ignores the interrupt, that is fatal;
* the whole notebook has ``notebook_timeout`` seconds; each cell's limit is cut to
  what is left;
* a kernel that dies (``os._exit``, a segfault, killed at a resource limit), fails
  to start, or stops answering is a fatal fault;
* a cell's outputs beyond ``cell_output_bytes`` are dropped (one note says so), so
  a flood of output cannot exhaust the grader's memory.

Cells listed in ``resources["lab_skip_cells"]`` (unchanged display-only cells, found
by :class:`SkipDisplayCells`) are not run; their output says so.

After a fatal fault the cells that ran keep their outputs; the cell that was
running and every later code cell get an ``error`` output naming the reason
(so nbgrader scores them 0 and the feedback says why), and the evidence files of
those test cells are deleted (they score 0 too, whatever was recorded). A test cell
that timed out loses its evidence the same way. The reasons, in plain words, go to
``resources["lab_faults"]`` (``HiddenVerdicts`` writes them to the verdict log,
and the instructor report lists them).

The kernel writes a scratch copy of the folder on a size-limited tmpfs
(:mod:`grader.autograde.scratch`, ``Sandbox.folder_size``). When the notebook ends, every
process of the sandbox's uid is killed, links, fifos and device files the kernel
left are removed (the trusted grader must not follow or block on them), what it
left is copied back into the folder, and the folder is given back to the grader's uid.
"""

from __future__ import annotations

import os
import signal
from time import monotonic
from typing import Any

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

from ...labkit.evidence import evidence_path
from ..sandbox import MiB, Sandbox, SandboxedKernelManager, SandboxUnavailable
from ..scratch import Scratch, clear_stale
from ..slots import chown_tree, claim_uid, kill_uid, remove_specials, uid_processes

CHECK_PREFIX = "check_"
SKIPPED = "[display only: the autograder does not run this cell; run it yourself to see it]\n"
TRUNCATED = "\n[output truncated by the grader: this cell printed more than {} bytes]\n"


class NotebookTimeout(Exception):
    pass


class SafeExecute(Execute):
    """Execute in the sandbox; faults are recorded and cost only the cells they reach."""

    notebook_timeout = Integer(
        1200,
        help="Wall-clock limit (seconds) for running one notebook, kernel start "
        "included; each cell's timeout is cut to what is left. Cells not reached "
        "score 0 with the reason.",
    ).tag(config=True)

    cell_output_bytes = Integer(
        2 * MiB,
        help="Outputs a cell may produce (bytes of text and data) before the rest is "
        "dropped with a note; protects the grader's memory from output floods.",
    ).tag(config=True)

    # --- the kernel ------------------------------------------------------------------

    def create_kernel_manager(self):  # noqa: ANN201 - nbclient's signature
        km = super().create_kernel_manager()
        if isinstance(km, SandboxedKernelManager):
            km.configure(self._sandbox, self._folder, self._run_dir, self._uid,
                         cgroup=self._cgroup, folder_source=self._live)
        self._km_ref = km
        return km

    def _get_timeout(self, cell: NotebookNode | None) -> int | None:
        timeout = super()._get_timeout(cell)
        left = max(1, int(self._deadline - monotonic()))
        self._cut = timeout is None or left < timeout
        return left if self._cut else timeout

    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        size = _message_size(msg)
        used = self._output_bytes.get(cell_index, 0)
        self._output_bytes[cell_index] = used + size
        if used + size > self.cell_output_bytes:
            if cell_index not in self._truncated:
                self._truncated.add(cell_index)
                outs.append(new_output("stream", name="stdout",
                                       text=TRUNCATED.format(self.cell_output_bytes)))
            return None
        return super().output(outs, msg, display_id, cell_index)

    # --- the notebook ----------------------------------------------------------------

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any], km: Any = None
                   ) -> tuple[NotebookNode, dict[str, Any]]:
        self._sandbox = Sandbox(parent=self)
        self._folder = os.path.realpath((resources.get("metadata") or {}).get("path") or ".")
        self._deadline = monotonic() + self.notebook_timeout
        self._output_bytes: dict[int, int] = {}
        self._truncated: set[int] = set()
        self._km_ref = None
        self._cut = False
        self._leftovers = 0
        self._filled = False
        faults: list[str] = []
        sandboxed = not self._sandbox.unsafe_no_sandbox
        self._run_dir, self._uid = "", -1
        # The folder the kernel writes: a scratch copy of _folder while it runs
        # (grader/autograde/scratch.py), _folder itself once copied back (or without a scratch).
        self._scratch: Scratch | None = None
        self._live = self._folder
        self._cgroup, self._oom_before = None, 0
        fatal: str | None = None
        index = -1
        try:
            if sandboxed:
                self._uid = claim_uid(self._sandbox.uid_base, self._sandbox.slots).uid
                self._cgroup = self._sandbox.memory_cgroup(self._uid)
                self._oom_before = self._cgroup.oom_kills() if self._cgroup else 0
                if clear_stale(self._uid):
                    self.log.info("removed scratch folders a killed grader left for uid %d",
                                  self._uid)
                self._scratch = Scratch.create(self._sandbox.folder_size, self._uid)
                if self._sandbox.folder_size > 0 and not self._scratch.mounted:
                    self.log.warning("could not mount a tmpfs for the kernel's folder; it "
                                     "writes the folder directly, without a size limit")
                self._run_dir = str(self._scratch.run_dir)
                self._live = str(self._scratch.stage(self._folder))
                os.chown(self._scratch.path, self._uid, self._sandbox.gid)
                os.chown(self._run_dir, self._uid, self._sandbox.gid)
                chown_tree(self._live, self._uid, self._sandbox.gid)
            else:
                self.log.warning("UNSAFE: running the notebook WITHOUT the sandbox")
            # As nbconvert's ExecutePreprocessor.preprocess, with each fault caught.
            from nbclient import NotebookClient

            NotebookClient.__init__(self, nb, km)
            if sandboxed:
                self.kernel_manager_class = SandboxedKernelManager
            self.reset_execution_trackers()
            self._check_assign_resources(resources)
            with self.setup_kernel():
                assert self.kc
                info = self.wait_for_reply(self.kc.kernel_info())
                if info:
                    self.nb.metadata["language_info"] = info["content"]["language_info"]
                skip = resources.get("lab_skip_cells") or set()
                for index, cell in enumerate(self.nb.cells):
                    if monotonic() >= self._deadline:
                        raise NotebookTimeout
                    if index in skip:
                        cell.outputs = [new_output("stream", name="stdout", text=SKIPPED)]
                        continue
                    self.preprocess_cell(cell, resources, index)
                    note = self._timeout_note(cell, index)
                    if note:
                        faults.append(note)
                        if self._cut:
                            raise NotebookTimeout
                index = len(self.nb.cells)
                if sandboxed:
                    self._count_leftovers()
        except NotebookTimeout:
            fatal = (f"the notebook ran past its time limit of {self.notebook_timeout} s")
        except DeadKernelError:
            fatal = self._death_reason()
        except CellTimeoutError:
            fatal = (f"the kernel did not stop when interrupted after the cell's time limit "
                     f"({self.timeout} s); it was shut down")
        except SandboxUnavailable:
            raise  # not the student's fault: the submission is not graded, with the reason
        except Exception as exc:  # noqa: BLE001 - any kernel failure ends this notebook only
            fatal = self._failure_reason(exc, index)
        finally:
            self._tidy(sandboxed)
        if fatal is None and self._oom_killed():
            faults.append("a process of the notebook was killed for using more memory than "
                          f"the sandbox allows ({_size(self._sandbox.memory_total)} for all its "
                          "processes together)")
        if self._filled:
            faults.append(f"the notebook filled the space its folder may use "
                          f"({_size(self._sandbox.folder_size)}); writes beyond it failed")
        if self._leftovers:
            faults.append(f"{self._leftovers} process(es) the notebook started were still "
                          "running when it ended; they were killed")
        if self._truncated:
            faults.append(f"output of {len(self._truncated)} cell(s) truncated at "
                          f"{self.cell_output_bytes} bytes")
        if fatal is not None:
            where = _cell_label(self.nb.cells, index) if 0 <= index < len(self.nb.cells) \
                else "before the first cell"
            faults.append(f"{fatal} (at {where}); later cells were not run")
            self._mark_not_run(max(index, 0), fatal)
        resources.setdefault("lab_faults", []).extend(faults)
        self.set_widgets_metadata()
        return self.nb, self.resources

    # --- faults ------------------------------------------------------------------------

    def _timeout_note(self, cell: NotebookNode, index: int) -> str | None:
        if cell.cell_type != "code":
            return None
        if not any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError"
                   for o in cell.get("outputs", [])):
            return None
        self._drop_evidence(cell)
        limit = "the notebook's remaining time" if self._cut else f"{self.timeout} s"
        return f"{_cell_label(self.nb.cells, index)} ran past its time limit ({limit}) and was interrupted"

    def _oom_killed(self) -> bool:
        return self._cgroup is not None and self._cgroup.oom_kills() > self._oom_before

    def _death_reason(self) -> str:
        if self._oom_killed():
            return ("the kernel died: it used more memory than the sandbox allows "
                    f"({_size(self._sandbox.memory_total)} for all its processes together)")
        km = self._km_ref
        status = km.exit_status() if isinstance(km, SandboxedKernelManager) else None
        if status is None and km is not None:
            process = getattr(getattr(km, "provisioner", None), "process", None)
            status = None if process is None else process.poll()
        return "the kernel died: " + describe_exit(status, self._sandbox)

    def _failure_reason(self, exc: Exception, index: int) -> str:
        text = str(exc).strip().splitlines()
        first = text[0][:200] if text else ""
        tail = self._km_ref.log_tail() if isinstance(self._km_ref, SandboxedKernelManager) else ""
        if index < 0:
            reason = f"the kernel could not start ({type(exc).__name__}: {first})"
            return reason + (f"; its log ends: {tail[-300:]}" if tail else "")
        if "Invalid Signature" in first or "Duplicate Signature" in first:
            # Each process forked from the kernel keeps the kernel's sockets and
            # answers in its name, so the grader receives garbled messages.
            return ("the kernel's messages were garbled: processes the notebook forked "
                    "(os.fork, e.g. a fork bomb) answered in the kernel's place")
        return f"the kernel failed ({type(exc).__name__}: {first})"

    def _mark_not_run(self, start: int, reason: str) -> None:
        first = True
        for index, cell in enumerate(self.nb.cells):
            if index < start or cell.cell_type != "code":
                continue
            if first:
                cell.setdefault("outputs", []).append(new_output(
                    "error", ename="KernelFault", evalue=reason,
                    traceback=[f"KernelFault: {reason}"]))
                first = False
            else:
                cell.outputs = [new_output(
                    "error", ename="NotRun", evalue=f"not run: {reason} in an earlier cell",
                    traceback=[f"NotRun: this cell was not run: {reason} in an earlier cell"])]
            self._drop_evidence(cell)

    def _drop_evidence(self, cell: NotebookNode) -> None:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if grade_id.startswith(CHECK_PREFIX):
            path = evidence_path(self._live, grade_id[len(CHECK_PREFIX):])
            if path.is_file() or path.is_symlink():
                path.unlink()

    def _count_leftovers(self) -> None:
        """Processes the notebook left running, counted while the kernel still runs:
        shutting it down takes its sandbox's pid namespace, and all in it, down too.
        Every process of the uid but the kernel itself was started by the notebook
        (background jobs, a fork bomb's children)."""
        self._leftovers = max(0, len(uid_processes(self._uid)) - 1)

    def _tidy(self, sandboxed: bool) -> None:
        """After the kernel: no process of the sandbox's uid left, no links or special
        files in the folder, what it wrote copied back, the folder back to the
        grader's uid."""
        km = self._km_ref
        if km is not None and km.has_kernel:
            try:
                run_sync(km._async_kill_kernel)()
            except Exception:  # noqa: BLE001 - it may be gone already
                pass
        if not sandboxed:
            return
        killed = kill_uid(self._uid)
        if killed:
            self.log.info("killed %d leftover sandbox processes", killed)
        removed = remove_specials(self._live)
        if removed:
            self.log.info("removed links and special files left by the kernel: %s", removed[:10])
        if self._scratch is not None:
            try:
                self._filled = self._scratch.filled()
                self._scratch.copy_back(self._folder)
            finally:
                self._scratch.close()
                self._live = self._folder
        chown_tree(self._folder, os.getuid(), os.getgid())


def describe_exit(status: int | None, sandbox: Sandbox | None = None) -> str:
    """A plain reason for a kernel's exit status (bwrap reports a child killed by
    signal N as 128+N)."""
    if status is None:
        return "it stopped answering"
    sig = -status if status < 0 else status - 128 if status > 128 else 0
    cpu = f" ({sandbox.cpu_time} s)" if sandbox is not None else ""
    if sig:
        name = {signal.SIGSEGV: "a segmentation fault (crash in native code)",
                signal.SIGBUS: "a bus error (crash in native code)",
                signal.SIGABRT: "it aborted (often memory exhausted inside a library)",
                signal.SIGKILL: "it was killed (memory exhausted, or over a resource limit)",
                signal.SIGXCPU: f"it used up its CPU-time limit{cpu}",
                signal.SIGXFSZ: "it wrote a file larger than the sandbox allows",
                signal.SIGFPE: "a floating-point exception (crash in native code)",
                signal.SIGILL: "an illegal instruction (crash in native code)"}.get(sig)
        return name or f"killed by signal {sig}"
    return f"the kernel process exited with status {status} (e.g. os._exit or sys.exit in the notebook)"


def _size(n: int) -> str:
    """Bytes in words: "8 GiB", "300 MiB"."""
    return f"{n / 2**30:g} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def _cell_label(cells: list[NotebookNode], index: int) -> str:
    cell = cells[index]
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {index + 1}" + (f" ({grade_id})" if grade_id else "")


def _message_size(msg: dict[str, Any]) -> int:
    content = msg.get("content") or {}
    size = len(content.get("text") or "")
    for value in (content.get("data") or {}).values():
        size += len(value) if isinstance(value, (str, bytes)) else len(str(value))
    for line in content.get("traceback") or []:
        size += len(line)
    return size
