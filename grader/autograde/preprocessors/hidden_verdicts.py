"""``HiddenVerdicts``: runs AFTER ``Execute`` and before ``SaveAutoGrades``, in the
grader's own process, where no student code ran.

For every graded test cell whose ``grade_id`` is ``check_<name>`` with
``<lesson>/<name>`` in :mod:`grader.checks.registry`, it reads the evidence the cell's
hidden part recorded (``.lab_evidence/<name>.pt``, plain tensors loaded with
``torch.load(weights_only=True)``), recomputes the reference and the mistake
catalogue on the submission's seed (derived here from the course secret) with
:func:`grader.checks.engine.verify`, and REPLACES the cell's outputs with the verdict:

* passed: one stdout line ``✓ <name>: passed ...`` (full points);
* failed: an ``error`` output, ename ``CheckFailed``, holding the feedback
  (what was checked, expected against got, the hint), which nbgrader's
  ``determine_grade`` scores 0. Missing or malformed evidence is a failure with
  its reason; if the kernel's own output for the cell was an error (e.g.
  ``NotImplementedError``), the feedback says so.

Whatever the kernel printed, raised or patched in that cell is therefore
irrelevant to the score. It also writes the verdicts of the submission, one per
grade id (passed, mistake, layer, feedback, points), to
``<course>/lab_verdicts/<lesson>/<student>.json`` for the instructor report.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader import utils
from traitlets import Unicode

from ...checks.engine import CheckResult, verify
from ...checks.registry import list_exercises
from ...course.paths import CHECK_PREFIX
from ...labkit.evidence import EvidenceError, read_evidence
from .. import verdict_log
from .base import LabPreprocessor


class HiddenVerdicts(LabPreprocessor):
    """Replace each registered test cell's outputs with the trusted verdict on its evidence."""

    check_prefix = Unicode(CHECK_PREFIX, help="Prefix of the grade_id of an exercise's test cell; "
                           "the rest is the exercise name.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]
                   ) -> tuple[NotebookNode, dict[str, Any]]:
        nbg = resources["nbgrader"]
        self._lesson = nbg["assignment"]
        self._folder = self.notebook_folder(resources)
        self._seed = self.seed(resources)
        self._known = set(list_exercises(self._lesson))
        self._verdicts: dict[str, dict[str, Any]] = {}
        self._faults = resources.get("lab_faults", [])
        nb, resources = super().preprocess(nb, resources)
        self._write_log(nbg)
        return nb, resources

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any], index: int
                        ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        grade_id = cell.metadata["nbgrader"].get("grade_id", "")
        name = self.exercise_name(grade_id)
        exercise_id = f"{self._lesson}/{name}"
        if exercise_id not in self._known:
            self.log.warning("graded cell %s is not a registered exercise; nbgrader scores it "
                             "from the kernel's output", grade_id)
            return cell, resources
        kernel_error = _kernel_error(cell)
        result = self.judge(exercise_id, name, kernel_error)
        cell.outputs = [_verdict_output(result)]
        self._verdicts[grade_id] = {
            "exercise": exercise_id, "passed": result.passed, "mistake": result.mistake,
            "layer": result.layer, "feedback": result.feedback,
            "points": float(cell.metadata["nbgrader"].get("points", 0)),
            "kernel_error": kernel_error,
        }
        return cell, resources

    def judge(self, exercise_id: str, name: str, kernel_error: str | None) -> CheckResult:
        """The verdict on this exercise's evidence; never raises."""
        note = f"\n(In your notebook this cell raised {kernel_error}.)" if kernel_error else ""
        try:
            evidence = read_evidence(self._folder, name)
        except EvidenceError as exc:
            return CheckResult(exercise_id, False, f"FAILED (error) {name}: {exc}.{note}",
                               None, "evidence")
        try:
            result = verify(exercise_id, evidence, self._seed)
        except Exception as exc:  # noqa: BLE001 - a bad file must not stop the batch
            self.log.error("judging %s failed: %s: %s", exercise_id, type(exc).__name__, exc)
            return CheckResult(exercise_id, False, f"FAILED (error) {name}: the recorded results "
                               f"could not be judged ({type(exc).__name__}).{note}", None,
                               "grader_error")
        if not result.passed and kernel_error and "raised" not in result.feedback:
            result.feedback += note
        return result

    def exercise_name(self, grade_id: str) -> str:
        """The exercise a test cell's grade_id names (``check_<name>``); "" if none."""
        return grade_id[len(self.check_prefix):] if grade_id.startswith(self.check_prefix) else ""

    def _write_log(self, nbg: dict[str, Any]) -> None:
        record = {
            "student": nbg["student"], "lesson": nbg["assignment"], "notebook": nbg["notebook"],
            "graded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "status": "graded", "cells": self._verdicts,
            # What SafeExecute saw go wrong in the kernel (timeouts, a dead kernel, ...).
            "faults": list(self._faults),
        }
        verdict_log.write_atomic(self.root(), nbg["assignment"], nbg["student"], record)


def _kernel_error(cell: NotebookNode) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            value = str(output.get("evalue", "")).strip().splitlines()
            first = value[0][:200] if value else ""
            return f"{output.get('ename', 'an error')}" + (f": {first}" if first else "")
    return None


def _verdict_output(result: CheckResult) -> NotebookNode:
    name = result.exercise_id.split("/", 1)[-1]
    if result.passed:
        return new_output("stream", name="stdout",
                          text=f"\u2713 {name}: passed (visible and hidden checks, judged by the "
                               "grader)\n")
    return new_output("error", ename="CheckFailed", evalue=result.feedback,
                      traceback=[f"CheckFailed: {result.feedback}"])

