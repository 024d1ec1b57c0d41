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

It is built on nbclient's public hooks, not a copy of its execute loop: the run is
nbconvert's ``ExecutePreprocessor.preprocess``; ``create_kernel_manager`` hands the
kernel to the sandbox; ``timeout_func`` cuts each cell's limit to the notebook's
time left; ``on_cell_start`` stops at the notebook's deadline and notes where the
run is; ``skip_cells_with_tag`` (a tag drawn at random per instance, so no tag a
student writes can skip a cell) leaves the display-only cells unrun;
``on_cell_error`` sees a cell's time limit (nbclient's own timeout reply);
``on_comm_open_jupyter_widget`` puts in nbclient's ``widget_registry`` an Output
widget mimic that cannot hide a cell's reply (:mod:`grader.autograde.output_widget`);
``preprocess_cell`` counts the processes left after the last cell; ``output`` caps
each cell's output.

After a fatal fault the cells that ran keep their outputs; the cell that was
running and every later code cell get an ``error`` output naming the reason
(so nbgrader scores them 0 and the feedback says why), and the evidence files of
those test cells are deleted (they score 0 too, whatever was recorded). A test cell
that timed out loses its evidence the same way. The reasons, in plain words, go to
``resources["lab_faults"]`` (``HiddenVerdicts`` writes them to the verdict log,
and the instructor report lists them).

The sandbox's lifetime (uid slot, scratch copy of the folder on a size-limited
tmpfs, killing every process of the slot's uid, copying back, giving the folder back
to the grader's uid) is :class:`grader.autograde.session.SandboxSession`'s.
"""

from __future__ import annotations

import secrets
import signal
from time import monotonic
from typing import Any

from jupyter_client.manager import KernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer, default

from ...labkit.evidence import EVIDENCE_DIR, evidence_path
from ..output_widget import use_reply_safe_output_widget
from ..sandbox import MiB, Sandbox, SandboxedKernelManager, SandboxUnavailable
from ..session import SandboxSession
from .hidden_verdicts import HiddenVerdicts

SKIPPED = "[display only: the autograder does not run this cell; run it yourself to see it]\n"
TRUNCATED = "\n[output truncated by the grader: this cell printed more than {} bytes]\n"


class NotebookTimeout(Exception):
    """The notebook ran past ``SafeExecute.notebook_timeout``."""


class SafeExecute(Execute):
    """Execute in the sandbox; faults are recorded and cost only the cells they reach."""

    notebook_timeout = Integer(
        900,
        help="Wall-clock limit (seconds) for running one notebook, kernel start "
        "included; each cell's timeout is cut to what is left. Cells not reached "
        "score 0 with the reason. A batch worker's hard limit is this plus a margin.",
    ).tag(config=True)

    cell_output_bytes = Integer(
        2 * MiB,
        help="Outputs a cell may produce (bytes of text and data) before the rest is "
        "dropped with a note; protects the grader's memory from output floods.",
    ).tag(config=True)

    #: The sandbox session of the notebook run last (its uid, scratch, faults seen).
    session: SandboxSession | None = None

    @default("skip_cells_with_tag")
    def _random_skip_tag(self) -> str:
        # Only SafeExecute puts this tag on a cell (the display-only cells
        # SkipDisplayCells found), so a tag in the submission skips nothing.
        return f"lab-grader-skip-{secrets.token_hex(8)}"

    @default("timeout_func")
    def _notebook_timeout_func(self) -> Any:
        return self.cell_timeout

    # --- the notebook ----------------------------------------------------------------

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any], km: Any = None
                   ) -> tuple[NotebookNode, dict[str, Any]]:
        """Run ``nb`` in a sandbox session; the faults go to ``resources["lab_faults"]``."""
        self.nb = nb
        self._deadline = monotonic() + self.notebook_timeout
        self._output_bytes: dict[int, int] = {}
        self._truncated: set[int] = set()
        self._cut = False
        self._at = -1  # the cell running (-1: none yet; len(cells): all done)
        # Which exercise a test cell records: HiddenVerdicts' setting, read from the
        # same configuration.
        self._verdicts = HiddenVerdicts(parent=self)
        self._faults: list[str] = []
        folder = (resources.get("metadata") or {}).get("path") or "."
        with SandboxSession(Sandbox(parent=self), folder, own_space=(EVIDENCE_DIR,),
                            log=self.log) as session:
            self.session = session
            if session.sandboxed:
                self.kernel_manager_class = SandboxedKernelManager
            fatal = self._run(nb, resources, km)
        self._report(fatal)
        resources.setdefault("lab_faults", []).extend(self._faults)
        self.set_widgets_metadata()
        return self.nb, resources

    def _run(self, nb: NotebookNode, resources: dict[str, Any], km: Any) -> str | None:
        """nbconvert's execute loop, with each kernel fault caught; the fatal one's
        reason, or None."""
        skipped = self._mark_skipped(nb, resources.get("lab_skip_cells") or set())
        try:
            super().preprocess(nb, resources, km)
        except NotebookTimeout:
            return f"the notebook ran past its time limit of {self.notebook_timeout} s"
        except DeadKernelError:
            return self._death_reason()
        except CellTimeoutError:
            return (f"the kernel did not stop when interrupted after the cell's time limit "
                    f"({self.timeout} s); it was shut down")
        except SandboxUnavailable:
            raise  # not the student's fault: the submission is not graded, with the reason
        except Exception as exc:  # noqa: BLE001 - any kernel failure ends this notebook only
            return self._failure_reason(exc)
        finally:
            self._unmark_skipped(skipped)
        return None

    def _report(self, fatal: str | None) -> None:
        """Name, in plain words, what went wrong beyond the cells' own outputs."""
        session = self.session
        if fatal is None and session.oom_killed():
            self._faults.append("a process of the notebook was killed for using more memory "
                                f"than the sandbox allows ({_size(session.sandbox.memory_total)} "
                                "for all its processes together)")
        if session.filled:
            self._faults.append(f"the notebook filled the space its folder may use "
                                f"({_size(session.sandbox.folder_size)}); writes beyond it failed")
        if session.leftovers:
            self._faults.append(f"{session.leftovers} process(es) the notebook started were "
                                "still running when it ended; they were killed")
        if self._truncated:
            self._faults.append(f"output of {len(self._truncated)} cell(s) truncated at "
                                f"{self.cell_output_bytes} bytes")
        if fatal is not None:
            cells = self.nb.cells
            where = _cell_label(cells, self._at) if 0 <= self._at < len(cells) \
                else "before the first cell"
            self._faults.append(f"{fatal} (at {where}); later cells were not run")
            self._mark_not_run(max(self._at, 0), fatal)

    # --- nbclient's hooks ------------------------------------------------------------

    def on_comm_open_jupyter_widget(self, msg: dict[str, Any]) -> Any | None:
        """nbclient's widget handler, with our Output widget mimic: nbclient's own can
        hide a cell's reply until the cell's time limit (see ``output_widget``)."""
        use_reply_safe_output_widget(self)
        return super().on_comm_open_jupyter_widget(msg)

    def create_kernel_manager(self) -> KernelManager:
        """nbclient's kernel manager, handed to the sandbox session."""
        return self.session.attach(super().create_kernel_manager())

    def cell_timeout(self, cell: NotebookNode) -> int | None:
        """``timeout_func``: the cell's limit (``timeout``), cut to the notebook's time left."""
        timeout = self.timeout if self.timeout and self.timeout > 0 else None
        left = max(1, int(self._deadline - monotonic()))
        self._cut = timeout is None or left < timeout
        return left if self._cut else timeout

    def on_cell_start(self, cell: NotebookNode, cell_index: int) -> None:
        """Before every cell (skipped ones too): stop at the notebook's deadline."""
        self._at = cell_index
        if monotonic() >= self._deadline:
            raise NotebookTimeout

    def on_cell_error(self, cell: NotebookNode, cell_index: int,
                      execute_reply: dict[str, Any]) -> None:
        """A cell's time limit (its evidence is dropped; past the notebook's deadline the
        notebook ends) or memory exhausted: the fault is named, in the cell too."""
        label = _cell_label(self.nb.cells, cell_index)
        if execute_reply.get("content", {}).get("ename") == "MemoryError":
            self._note(cell, f"{label} ran out of memory (MemoryError): it asked for more "
                       f"than the sandbox allows ({_size(self.session.sandbox.memory)} a process)")
            return
        if not self._timed_out(execute_reply):
            return
        self._drop_evidence(cell)
        limit = "the notebook's remaining time" if self._cut else f"{self.timeout} s"
        self._note(cell, f"{label} ran past its time limit ({limit}) and was interrupted")
        if self._cut:
            raise NotebookTimeout

    def _note(self, cell: NotebookNode, fault: str) -> None:
        """Record ``fault`` and say it in the cell's own output, in plain words (the
        traceback alone shows only ``KeyboardInterrupt`` or ``MemoryError``)."""
        self._faults.append(fault)
        cell.setdefault("outputs", []).append(
            new_output("stream", name="stdout", text=f"[grader] {fault}\n"))

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any], index: int
                        ) -> tuple[NotebookNode, dict[str, Any]]:
        """nbconvert's per-cell step; after the last cell, while the kernel still
        runs, count the processes the notebook left."""
        cell, resources = super().preprocess_cell(cell, resources, index)
        if index == len(self.nb.cells) - 1:
            self._at = len(self.nb.cells)
            self.session.count_leftovers()
        return cell, resources

    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        """nbclient's output handler, keeping at most ``cell_output_bytes`` per cell."""
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

    # --- faults ------------------------------------------------------------------------

    def _timed_out(self, reply: dict[str, Any]) -> bool:
        """Whether ``reply`` is nbclient's stand-in for a cell past its time limit
        (``error_on_timeout``, which has no header: a kernel's own replies do)."""
        ename = (self.error_on_timeout or {}).get("ename")
        return ("header" not in reply and ename is not None
                and reply.get("content", {}).get("ename") == ename)

    def _death_reason(self) -> str:
        """Why the kernel died, in plain words (memory, a signal, an exit status)."""
        session = self.session
        if session.oom_killed():
            return ("the kernel died: it used more memory than the sandbox allows "
                    f"({_size(session.sandbox.memory_total)} for all its processes together)")
        return "the kernel died: " + describe_exit(session.exit_status(), session.sandbox)

    def _failure_reason(self, exc: Exception) -> str:
        """Why the kernel could not start or failed, in plain words."""
        text = str(exc).strip().splitlines()
        first = text[0][:200] if text else ""
        if self._at < 0:
            tail = self.session.log_tail()
            reason = f"the kernel could not start ({type(exc).__name__}: {first})"
            return reason + (f"; its log ends: {tail[-300:]}" if tail else "")
        if "Invalid Signature" in first or "Duplicate Signature" in first:
            # Each process forked from the kernel keeps the kernel's sockets and
            # answers in its name, so the grader receives garbled messages.
            return ("the kernel's messages were garbled: processes the notebook forked "
                    "(os.fork, e.g. a fork bomb) answered in the kernel's place")
        return f"the kernel failed ({type(exc).__name__}: {first})"

    def _mark_skipped(self, nb: NotebookNode, skip: set[int]) -> list[tuple[int, bool]]:
        """Tag the display-only cells for nbclient to skip and give them the note;
        (index, whether the cell had a tag list) of each."""
        marked = []
        for index in sorted(skip):
            cell = nb.cells[index]
            cell.outputs = [new_output("stream", name="stdout", text=SKIPPED)]
            marked.append((index, "tags" in cell.metadata))
            cell.metadata.setdefault("tags", []).append(self.skip_cells_with_tag)
        return marked

    def _unmark_skipped(self, marked: list[tuple[int, bool]]) -> None:
        """Take the skip tag off again: the autograded notebook keeps its own metadata."""
        for index, had_tags in marked:
            meta = self.nb.cells[index].metadata
            meta["tags"] = [t for t in meta.get("tags", []) if t != self.skip_cells_with_tag]
            if not had_tags and not meta["tags"]:
                del meta["tags"]

    def _mark_not_run(self, start: int, reason: str) -> None:
        """The cell at ``start`` gets the fault, each later code cell a NotRun error
        (both score 0); their evidence is dropped."""
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
        """Delete what a test cell recorded (it scores 0, whatever it recorded)."""
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        name = self._verdicts.exercise_name(grade_id)
        if name:
            path = evidence_path(self.session.live, name)
            if path.is_file() or path.is_symlink():
                path.unlink()


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
