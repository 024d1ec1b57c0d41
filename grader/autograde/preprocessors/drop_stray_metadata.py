"""``DropStrayMetadata``: in the sanitize list, after ``DeduplicateIds`` and
before ``OverwriteCells``.

A cell whose nbgrader metadata is empty (a duplicate that ``DeduplicateIds``
demoted), has no ``grade_id``, or names a ``grade_id`` the gradebook does not know
for this notebook (one the student made up) becomes a plain cell: its ``nbgrader``
metadata is removed. Without this, nbgrader 0.9.6 fails the whole submission on
such a cell (``KeyError: 'grade_id'`` in ``OverwriteCells.add_missing_task_cells``
when ``add_missing_cells`` is on, or a metadata validation error), so a student
who duplicated a test cell would get no grade at all. The cell still runs as the
student's own code; it can never be scored, since only grade ids from the
gradebook are.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry

from .base import LabPreprocessor


class DropStrayMetadata(LabPreprocessor):
    """Turn cells with empty, id-less or unknown nbgrader metadata into plain cells."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]
                   ) -> tuple[NotebookNode, dict[str, Any]]:
        nbg = resources["nbgrader"]
        with Gradebook(nbg["db_url"]) as gb:
            try:
                notebook = gb.find_notebook(nbg["notebook"], nbg["assignment"])
                known = {c.name for c in notebook.source_cells}
                known |= {c.name for c in notebook.grade_cells}
                known |= {c.name for c in notebook.solution_cells}
                known |= {c.name for c in notebook.task_cells}
            except MissingEntry:
                known = None  # not in a gradebook (a test): only drop empty metadata
        for cell in nb.cells:
            meta = cell.get("metadata", {})
            if "nbgrader" not in meta:
                continue
            grade_id = (meta["nbgrader"] or {}).get("grade_id")
            if not grade_id or (known is not None and grade_id not in known):
                self.log.warning("cell %s: nbgrader metadata %s dropped (a duplicate, or a "
                                 "grade id the gradebook does not know)",
                                 cell.get("id", "?"), grade_id or "without a grade id")
                del meta["nbgrader"]
        return nb, resources
