"""House rules that hold for the whole tree (docs/architecture.md): the size of source
files and functions, the layers of the packages, and citations that stay in the
repository. Generated lesson folders (``lessons/``) and tests are exempt from sizes."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
#: Bottom to top: a module may import its own layer and the layers below it.
LAYERS = ("reference", "grader.labkit", "grader.checks", "grader.course", "grader.autograde",
          "grader.report grader.demo grader.cli grader.classroom")


def _files(pattern: str) -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                             pattern], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / f for f in sorted(set(listed.stdout.split())) if (ROOT / f).is_file()]


def _sources() -> list[Path]:
    return [p for p in _files("*.py")
            if p.relative_to(ROOT).parts[0] not in ("lessons", "tests", "build")]


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int | None:
    for rank, names in enumerate(LAYERS):
        if any(module == n or module.startswith(n + ".") for n in names.split()):
            return rank
    return None


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import of the file, relative ones resolved."""
    package = _module(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found += [(node.lineno, f"{module}.{a.name}") for a in node.names]
    return found


def test_no_source_file_is_over_the_limit():
    """Every non-test Python file outside the generated lessons has at most 400 lines."""
    long = [f"{p.relative_to(ROOT)}: {n}" for p in _sources()
            if (n := len(p.read_text().splitlines())) > MAX_FILE_LINES]
    assert not long


def test_no_function_is_over_the_limit():
    """Every function of the non-test sources has at most 60 lines."""
    long = []
    for p in _sources():
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{p.relative_to(ROOT)}:{node.lineno} {node.name}: {n}")
    assert not long


@pytest.mark.parametrize("path", [p for p in _sources() if _layer(_module(p)) is not None
                                  and p.name != "lab_config.py"
                                  and _module(p) != "grader"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_lower_layers_never_import_higher_ones(path):
    """reference < labkit < checks < course < autograde < report, demo, cli. (``grader``'s
    own ``__init__`` is the public facade over checks; the course's lab_config.py
    template is a configuration file that traitlets runs in the course folder, naming the
    autograde preprocessors, and is never imported by the grader.)"""
    own = _layer(_module(path))
    upward = [f"line {line}: {module}" for line, module in _imports(path)
              if (rank := _layer(module)) is not None and rank > own]
    assert not upward


def test_nothing_cites_a_file_outside_the_repository():
    """The design lives in docs/: nothing cites the first specification, COURSE.md,
    which is not in the repository."""
    citing = [str(p.relative_to(ROOT)) for pattern in ("*.py", "*.md", "*.ipynb", "Makefile")
              for p in _files(pattern) if p.relative_to(ROOT).parts[0] != "lessons"
              and "COURSE.md" in p.read_text() and p != Path(__file__)]
    assert not citing
