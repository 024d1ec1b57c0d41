"""``StripHiddenTests``: in ``GenerateFeedback``, before the HTML export.

The autograded notebook holds the restored hidden tests (nbgrader shows them
again in the feedback: issues #917, #1363). This preprocessor removes every
``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region from every code
cell, leaving a one-line note, so the feedback shows the verdict but never
hidden-test code or inputs. Unlike nbgrader's ``ClearHiddenTests`` it never
raises: an unbalanced marker in a student's cell hides the rest of that cell
instead of failing the student's feedback.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from traitlets import Unicode

from .base import LabPreprocessor


class StripHiddenTests(LabPreprocessor):
    """Remove hidden-test regions from the feedback."""

    begin = Unicode("BEGIN HIDDEN TESTS", help="Marker of the start of a hidden-test "
                    "region.").tag(config=True)
    end = Unicode("END HIDDEN TESTS", help="Marker of the end of a hidden-test region.").tag(config=True)
    note = Unicode("# (hidden tests ran here; the grader judged their results)",
                   help="Line left where a hidden-test region was removed (empty: "
                   "nothing).").tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any], index: int
                        ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type == "code" and self.begin in cell.source:
            cell.source = self.strip(cell.source)
        return cell, resources

    def strip(self, source: str) -> str:
        kept: list[str] = []
        inside = False
        for line in source.split("\n"):
            if self.begin in line:
                if not inside and self.note:
                    kept.append(line[:len(line) - len(line.lstrip())] + self.note)
                inside = True
            elif self.end in line and inside:
                inside = False
            elif not inside:
                kept.append(line)
        return "\n".join(kept)
