"""``RestoreCellFlags``: in the sanitize list, after ``DropStrayMetadata`` and before
``OverwriteCells``.

A student can re-tag a cell while keeping its grade id: turn a locked test cell into
a solution cell, unlock it, drop its ``grade`` flag or change its points. nbgrader's
``OverwriteCells`` restores the cell type, the lock, the points and the source, but
not the ``grade``/``solution``/``task`` flags, which its checksum covers, so it fails
the whole submission ("Inconsistent checksums"). This preprocessor puts every flag of
a cell whose grade id the gradebook knows back as the instructor set it (from the
gradebook's source, grade, solution and task cells), so ``OverwriteCells`` can then
restore the cell itself. A re-tagged test cell is therefore graded as the test it was.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry

from .base import LabPreprocessor


class RestoreCellFlags(LabPreprocessor):
    """Put the nbgrader flags of cells with known grade ids back as released."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]
                   ) -> tuple[NotebookNode, dict[str, Any]]:
        nbg = resources["nbgrader"]
        with Gradebook(nbg["db_url"]) as gb:
            try:
                notebook = gb.find_notebook(nbg["notebook"], nbg["assignment"])
            except MissingEntry:
                return nb, resources
            source = {c.name: c for c in notebook.source_cells}
            grades = {c.name: float(c.max_score) for c in notebook.grade_cells}
            solutions = {c.name for c in notebook.solution_cells}
            tasks = {c.name for c in notebook.task_cells}
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            grade_id = (meta or {}).get("grade_id")
            if not grade_id or grade_id not in source:
                continue
            want = {"grade": grade_id in grades, "solution": grade_id in solutions,
                    "task": grade_id in tasks, "locked": bool(source[grade_id].locked)}
            changed = [k for k, v in want.items() if bool(meta.get(k, False)) != v]
            for key, value in want.items():
                if value or key in meta:
                    meta[key] = value
            if grade_id in grades and meta.get("points") != grades[grade_id]:
                meta["points"] = grades[grade_id]
            if changed:
                self.log.warning("cell %s: nbgrader flags %s restored as released", grade_id,
                                 ", ".join(changed))
        return nb, resources
