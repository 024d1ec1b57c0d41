"""The catalogued mistake files of a lesson
(``solutions/<lesson>/mistakes/<name>__<mistake_id>.py``) and the exercises a
mistake can break besides its own: those whose solution uses the mistaken one."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from ..paths import CHECK_PREFIX
from .sample import SOLUTION_PREFIX

EXPECT_RE = re.compile(r"^#\s*sample-expect:\s*(\w+)\s*=\s*([0-9.]+)\s*$", re.M)


@dataclass
class MistakeFile:
    """One mistake file: the whole solution cell of exercise ``name`` with the
    catalogued mistake ``mistake_id``, and the points it states for other cells
    (its ``# sample-expect: check_<name>=<points>`` lines)."""

    name: str
    mistake_id: str
    source: str
    also: dict[str, float]

    @classmethod
    def read(cls, path: Path) -> MistakeFile:
        """Read ``<exercise>__<mistake_id>.py``."""
        name, sep, mistake_id = path.stem.partition("__")
        if not sep or not name or not mistake_id:
            raise ValueError(f"{path}: a mistake file is named <exercise>__<mistake_id>.py")
        text = path.read_text(encoding="utf-8")
        also = {gid: float(pts) for gid, pts in EXPECT_RE.findall(text)}
        return cls(name, mistake_id, text.rstrip("\n"), also)


def mistake_files(folder: str | Path) -> list[MistakeFile]:
    """The mistake files in ``folder``, sorted by name (none if it does not exist)."""
    folder = Path(folder)
    return [MistakeFile.read(p) for p in sorted(folder.glob("*__*.py"))] if folder.is_dir() else []


def validate_mistakes(lesson: str, mistakes: list[MistakeFile], solutions: dict[str, str],
                      checks: dict[str, float]) -> None:
    """Raise ``ValueError`` if a mistake file names an exercise the notebook has no
    solution cell or no test cell for."""
    for m in mistakes:
        if SOLUTION_PREFIX + m.name not in solutions:
            raise ValueError(f"{lesson}: mistake file for {m.name!r} but the notebook has no "
                             f"solution cell {SOLUTION_PREFIX + m.name!r}")
        if CHECK_PREFIX + m.name not in checks:
            raise ValueError(f"{lesson}: mistake file for {m.name!r} but the notebook has no "
                             f"test cell {CHECK_PREFIX + m.name!r}")


def _names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | \
        {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}


def dependents(name: str, solutions: dict[str, str], names: list[str]) -> list[str]:
    """Exercises whose solution uses ``name``, directly or through another exercise."""
    uses = {n: _names(solutions.get(SOLUTION_PREFIX + n, "")) - {n} for n in names}
    found: set[str] = set()
    todo = [name]
    while todo:
        cur = todo.pop()
        for n in names:
            if n not in found and n != name and cur in uses[n]:
                found.add(n)
                todo.append(n)
    return [n for n in names if n in found]
