"""One sample submission (:class:`Sample`), the kinds of samples there are and
the prefixes that tie an exercise's solution cell to its test cell."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

KINDS = ("correct", "empty", "mistake", "warning", "edited_test", "tampered_tests", "monkeypatch")
SOLUTION_PREFIX = "ex_"


@dataclass
class Sample:
    """One sample submission of one lesson."""

    student: str
    lesson: str
    kind: str
    description: str
    notebook: NotebookNode
    #: grade_id of every autograded cell -> the points it deserves
    expected: dict[str, float] = field(default_factory=dict)

    @property
    def expected_total(self) -> float:
        """The points the whole submission deserves."""
        return sum(self.expected.values())

    def write(self, folder: str | Path) -> Path:
        """Write as ``<folder>/<student>/<lesson>/<lesson>.ipynb`` (the import layout)."""
        path = Path(folder) / self.student / self.lesson / f"{self.lesson}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(self.notebook, str(path))
        return path


def student_id(*parts: str) -> str:
    """A student id made of ``parts``, safe as a folder name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(parts)).strip("-")
