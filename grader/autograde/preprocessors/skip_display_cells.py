"""``SkipDisplayCells``: runs just BEFORE ``SafeExecute``.

It reads the lesson's *source* notebook (``source/<lesson>/<notebook>.ipynb`` in the
course, the instructor's copy) and lists, in ``resources["lab_skip_cells"]``, the
indices of the submitted code cells whose source is exactly that of a cell tagged
``display-only`` there (:mod:`grader.course.display_cells`). ``SafeExecute`` leaves those
cells unrun and says so in their output.

Matching on the instructor's source, not on the submission's tags, is what makes this
safe: a student cannot tag their own cell, or a test cell, to have it skipped, and an
edited display cell runs like any other. Grade and solution cells are never skipped.
The build refuses a lesson whose display-only cells define something other cells read,
so leaving them unrun cannot change a score.
"""

from __future__ import annotations

from typing import Any

import nbformat
from nbformat import NotebookNode
from traitlets import Bool, Unicode

from ...course.display_cells import TAG, display_sources, normalise
from .base import LabPreprocessor


class SkipDisplayCells(LabPreprocessor):
    """Mark the submitted cells that are unchanged display-only cells of the source."""

    enabled = Bool(
        True,
        help="Leave unrun, at autograde, the cells the lesson tags display-only (plots, "
        "widgets, demo training runs) when their source is unchanged. False runs every "
        "cell, as stock nbgrader does (slower; the feedback then shows the plots' output).",
    ).tag(config=True)

    tag = Unicode(TAG, help="The Jupyter cell tag that marks a display-only cell in a "
                  "lesson's source notebook.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]
                   ) -> tuple[NotebookNode, dict[str, Any]]:
        resources["lab_skip_cells"] = set()
        if not self.enabled:
            return nb, resources
        nbg = resources["nbgrader"]
        path = self.root() / "source" / nbg["assignment"] / f"{nbg['notebook']}.ipynb"
        if not path.is_file():
            self.log.warning("no source notebook at %s: every cell runs", path)
            return nb, resources
        shown = display_sources(nbformat.read(str(path), as_version=4), self.tag)
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if (cell.cell_type == "code" and not meta.get("grade") and not meta.get("solution")
                    and normalise(cell.source) in shown):
                resources["lab_skip_cells"].add(index)
        return nb, resources
