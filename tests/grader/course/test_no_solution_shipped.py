"""No released lesson folder holds its own exercises' solution code: not in the notebook
(markdown, hints), the kit, nor the hint strings inside fixtures.pt. A hint teaches the
idea; it never hands over the line (docs/exercise-contract.md).

Two kinds of line are not answers: the sub-modules a task's prose names because the checks
load weights into them by name (``self.dense = nn.Linear(d_model, d_model)``: the
interface, stated on purpose), and the provided ``blocks/`` (earlier lessons' reference
modules, checked module by module in test_blocks.py, which share lines with later
solutions by nature)."""

from __future__ import annotations

import re
from typing import Any

import nbformat
import pytest
import torch

from grader.course.lessons import available_lessons
from grader.course.paths import FIXTURES_FILE, LESSONS_DIR, SOLUTIONS_DIR

#: Shorter solution lines (``return out``, ``x = x + h``) are too generic to count as
#: handing over an answer; longer ones are specific to the exercise.
MIN_CHARS = 28
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def _normal(text: str) -> str:
    return " ".join(text.split())


def solution_lines(lesson: str) -> set[str]:
    """The specific lines of the lesson's solution code (comments and docstrings out)."""
    nb = nbformat.read(str(SOLUTIONS_DIR / lesson / f"{lesson}.ipynb"), as_version=4)
    lines = set()
    for cell in nb.cells:
        for block in SOLUTION.findall(cell.source if cell.cell_type == "code" else ""):
            for line in block.splitlines():
                code = _normal(line.split("  #")[0])
                if len(code) >= MIN_CHARS and not code.startswith(("#", '"', "'")):
                    lines.add(code)
    return lines


def _strings(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for v in data.values() for s in _strings(v)]
    if isinstance(data, (list, tuple)):
        return [s for v in data for s in _strings(v)]
    return []


INTERFACE = re.compile(r"^self\.\w+ = ")


def interface_lines(lesson: str, lines: set[str]) -> set[str]:
    """The solution lines that define a named sub-module and that the source notebook's
    prose states as the interface the checks rely on."""
    nb = nbformat.read(str(SOLUTIONS_DIR / lesson / f"{lesson}.ipynb"), as_version=4)
    prose = _normal("\n".join(c.source for c in nb.cells if c.cell_type == "markdown"))
    return {line for line in lines if INTERFACE.match(line) and line in prose}


def shipped_text(lesson: str) -> dict[str, str]:
    """Every text a student receives with the lesson but its blocks, by file (fixtures:
    their strings)."""
    folder = LESSONS_DIR / lesson
    out = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or "blocks" in path.parts:
            continue
        rel = str(path.relative_to(folder))
        if path.name == FIXTURES_FILE:
            out[rel] = _normal("\n".join(_strings(torch.load(path, weights_only=True))))
        elif path.suffix in (".py", ".ipynb", ".txt", ".md"):
            out[rel] = _normal(path.read_text())
    return out


@pytest.mark.parametrize("lesson", available_lessons())
def test_released_folder_holds_no_solution_line(lesson: str) -> None:
    """No line of the lesson's solutions (at least MIN_CHARS long) appears in any file the
    lesson ships."""
    lines = solution_lines(lesson)
    assert lines, "the source notebook has solution code"
    lines -= interface_lines(lesson, lines)
    found = [f"{rel}: {line}" for rel, text in shipped_text(lesson).items()
             for line in lines if line in text]
    assert not found


def test_interface_lines_are_only_sub_module_definitions() -> None:
    """What the scan lets through is the stated interface only: ``self.<name> = ...``
    lines that the lesson's prose names, never a computation."""
    for lesson in available_lessons():
        allowed = interface_lines(lesson, solution_lines(lesson))
        assert all(INTERFACE.match(line) for line in allowed), allowed
