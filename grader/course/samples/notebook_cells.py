"""Reading and filling the cells of a lesson's notebooks: the nbgrader metadata,
the autograded test cells, the source's solutions, and the prelude (imports and
constants) that solution cells expect."""

from __future__ import annotations

import ast
import copy
from typing import Any

from nbformat import NotebookNode


def nbgrader_meta(cell: NotebookNode) -> dict[str, Any]:
    """The cell's nbgrader metadata (empty if it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def strip_solution_markers(source: str) -> str:
    """The source's solution as a student would write it: the ``### BEGIN/END
    SOLUTION`` lines removed, the code between them kept."""
    return "\n".join(line for line in source.split("\n")
                     if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)


def test_cells(nb: NotebookNode) -> dict[str, float]:
    """grade_id -> points of every autograded cell (graded code cells that are not
    solutions), in notebook order."""
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c).get("points", 0))
            for c in nb.cells if c.cell_type == "code" and nbgrader_meta(c).get("grade")
            and not nbgrader_meta(c).get("solution")}


def solution_sources(source_nb: NotebookNode) -> dict[str, str]:
    """grade_id -> the solution code of every solution cell of the source notebook."""
    return {nbgrader_meta(c)["grade_id"]: strip_solution_markers(c.source)
            for c in source_nb.cells if nbgrader_meta(c).get("solution")}


def solution_order(source_nb: NotebookNode) -> list[str]:
    """The grade_ids of the source notebook's solution cells, in notebook order."""
    return [nbgrader_meta(c)["grade_id"] for c in source_nb.cells
            if nbgrader_meta(c).get("solution")]


def fill(release_nb: NotebookNode, sources: dict[str, str]) -> NotebookNode:
    """A copy of the release notebook with the given cells' sources replaced."""
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in sources:
            cell.source = sources[gid]
    return nb


def prelude(source_nb: NotebookNode) -> str:
    """The imports and constants of the notebook's own (non-exercise) code cells:
    the namespace solution cells expect."""
    keep: list[str] = []
    for cell in source_nb.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code" or meta.get("solution") or meta.get("grade"):
            continue
        code = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln
                         for ln in cell.source.split("\n"))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in tree.body:
            literal = isinstance(node, ast.Assign) and _is_literal(node.value)
            if isinstance(node, (ast.Import, ast.ImportFrom)) or literal:
                keep.append(ast.unparse(node))
    return "\n".join(keep)


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True
