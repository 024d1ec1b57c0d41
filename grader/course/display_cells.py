"""Display-only cells: what the autograder may leave unrun, and the build-time check
that leaving them unrun cannot change a grade.

A lesson marks a code cell that only *shows* something (a plot, a widget, a demo
training run whose curve the student looks at) with the Jupyter cell tag
``display-only``. Students run every cell as usual. At autograde the course's
pipeline does not run them (:class:`grader.autograde.preprocessors.SkipDisplayCells` marks them,
:class:`grader.autograde.preprocessors.SafeExecute` leaves them out), which saves most of a
notebook's non-graded cost: importing matplotlib and ipywidgets, drawing, training
demo models. nbgrader itself has no such notion and runs them all.

Two rules make that safe, and :func:`problems` checks both when a lesson is built:

* a display-only cell is never an nbgrader grade or solution cell (it scores nothing
  and holds no student answer);
* nothing a graded or student cell reads is defined only by display-only cells
  (names are found with :mod:`symtable`: a cell's module-level reads and the globals
  its functions read).

At autograde a submitted cell is left out only when its source is exactly that of a
display-only cell of the *source* notebook (the instructor's copy), so a student can
neither skip their own code nor make a test cell unrun: an edited display cell is
run like any other cell.
"""

from __future__ import annotations

import symtable
from collections.abc import Iterable
from typing import Any

TAG = "display-only"


def is_display(cell: Any, tag: str = TAG) -> bool:
    """Whether a (source notebook) cell is a code cell tagged display-only."""
    return cell.get("cell_type") == "code" and tag in (cell.get("metadata", {}).get("tags") or [])


def normalise(source: str | list[str]) -> str:
    """A cell's source as one string without surrounding blank space."""
    text = "".join(source) if isinstance(source, list) else source
    return text.strip()


def display_sources(nb: Any, tag: str = TAG) -> set[str]:
    """The normalised sources of a source notebook's display-only cells."""
    return {normalise(c.get("source", "")) for c in nb.get("cells", []) if is_display(c, tag)}


def _python(source: str) -> str:
    """Cell source with IPython magics and shell lines blanked (symtable reads Python)."""
    lines = source.splitlines()
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def names(source: str) -> tuple[set[str], set[str]]:
    """(names the cell defines at module level, global names it reads but does not
    define). Raises SyntaxError for a cell that is not Python."""
    table = symtable.symtable(_python(source), "<cell>", "exec")
    defined = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    read = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
    stack = list(table.get_children())
    while stack:
        scope = stack.pop()
        # Free variables belong to an enclosing function, never to the notebook.
        read |= {s.get_name() for s in scope.get_symbols() if s.is_referenced() and s.is_global()}
        stack.extend(scope.get_children())
    return defined, read - defined


def problems(cells: Iterable[Any], tag: str = TAG) -> list[str]:
    """What makes leaving a notebook's display-only cells unrun unsafe (empty: safe)."""
    out: list[str] = []
    shown: dict[str, int] = {}  # name -> first display cell defining it
    defined_elsewhere: set[str] = set()
    reads: list[tuple[int, set[str]]] = []
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        display = is_display(cell, tag)
        if display and (nbg.get("grade") or nbg.get("solution")):
            out.append(f"cell {index + 1} ({nbg.get('grade_id')}) is tagged {tag} but is an "
                       "nbgrader grade or solution cell, which the autograder must run")
            continue
        try:
            defined, read = names(normalise(cell.get("source", "")))
        except SyntaxError as exc:
            if display:
                out.append(f"cell {index + 1} is tagged {tag} but is not Python ({exc.msg})")
            continue
        if display:
            for name in defined:
                shown.setdefault(name, index)
        else:
            defined_elsewhere |= defined
            reads.append((index, read))
    for index, read in reads:
        for name in sorted(read & (set(shown) - defined_elsewhere)):
            out.append(f"cell {index + 1} reads {name!r}, which only the {tag} cell "
                       f"{shown[name] + 1} defines; the autograder does not run that cell")
    return out
