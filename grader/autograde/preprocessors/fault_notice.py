"""``FaultNotice``: runs just AFTER ``HiddenVerdicts``.

A fault (a cell past its time limit, memory exhausted, a dead kernel, processes left
running, a full folder, an output flood) is found by ``SafeExecute`` and listed in
``resources["lab_faults"]`` in plain words; the verdict log and the instructor's report
get them from there. The student reads the feedback, built from the autograded notebook,
so this step puts the same reasons at the top of that notebook, in a markdown cell of its
own: whatever cell the fault hit (a test cell's outputs are replaced by its verdict), the
student learns why. The cell has no nbgrader metadata, so it scores and changes nothing.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell
from traitlets import Unicode

from .base import LabPreprocessor


class FaultNotice(LabPreprocessor):
    """Insert, at the top of the autograded notebook, the faults met while it ran."""

    heading = Unicode(
        "**While your notebook was graded, something went wrong.** The cells it reached "
        "scored 0; the rest was graded as usual. What happened:",
        help="The first line of the notice put at the top of an autograded notebook that met "
        "a fault; the faults follow as a list.",
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]
                   ) -> tuple[NotebookNode, dict[str, Any]]:
        faults = resources.get("lab_faults") or []
        if faults:
            lines = [self.heading, ""] + [f"- {_plain(f)}" for f in faults]
            nb.cells.insert(0, new_markdown_cell("\n".join(lines)))
        return nb, resources


def _plain(text: str) -> str:
    """One fault as a markdown list item: no markup of its own, first letter upper case."""
    text = " ".join(str(text).split()).replace("*", "\\*").replace("_", "\\_")
    return text[:1].upper() + text[1:]
