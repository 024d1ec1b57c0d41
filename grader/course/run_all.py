"""Run All goes on past a failed check.

JupyterLab's *Run All* stops at the first cell that raises, so on a fresh lesson a student
would see one failed check and nothing below it: no later check, no widget. A cell tagged
``raises-exception`` (a tag JupyterLab and nbclient both honour) may raise without stopping
the run. The build tags every cell that can fail by design: each check cell (its
``labkit.check`` raises on a wrong answer), each solution cell (a stub or an unfinished
answer may raise) and each display-only cell (a plot or widget that calls the student's
functions fails until they are written). Grading is unchanged: nbgrader's ``Execute`` already runs every cell
(``allow_errors``) and scores a check cell by its error output, tag or not.
"""

from __future__ import annotations

from typing import Any

from .display_cells import TAG as DISPLAY_TAG
from .paths import CHECK_PREFIX

RAISES_TAG = "raises-exception"


def may_raise(cell: Any) -> bool:
    """A check cell (grade id ``check_...``), a solution cell or a display-only cell."""
    meta = cell.get("metadata", {})
    nbg = meta.get("nbgrader", {})
    return cell.get("cell_type") == "code" and (
        bool(nbg.get("solution")) or str(nbg.get("grade_id", "")).startswith(CHECK_PREFIX)
        or DISPLAY_TAG in meta.get("tags", []))


def tag_raising_cells(nb: Any) -> int:
    """Add ``raises-exception`` to every cell :func:`may_raise` picks, in place; how many
    cells were tagged now."""
    tagged = 0
    for cell in nb.cells:
        if may_raise(cell):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if RAISES_TAG not in tags:
                tags.append(RAISES_TAG)
                tagged += 1
    return tagged
