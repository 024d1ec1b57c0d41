"""``RescueStderr``: runs AFTER ``Execute`` and before ``SaveAutoGrades``.

nbgrader scores a graded cell 0 when any of its outputs is a stderr stream
(``utils.determine_grade``), so a harmless ``UserWarning`` would cost a correct
answer its points (nbgrader issue #1904). This preprocessor turns every stderr
stream output into a stdout one, each line prefixed (``[stderr] ``) so warnings
stay visible in the graded notebook and the feedback. Errors are ``error``
outputs, not streams, and still score 0.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from traitlets import Unicode

from .base import LabPreprocessor


class RescueStderr(LabPreprocessor):
    """Turn stderr stream outputs into prefixed stdout, so warnings never cost points."""

    prefix = Unicode("[stderr] ", help="Text put before each line that was written to "
                     "stderr.").tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any], index: int
                        ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = output.get("text", "")
                lines = text.splitlines(keepends=True)
                output["name"] = "stdout"
                output["text"] = "".join(self.prefix + line for line in lines)
        return cell, resources
