"""Releasing lessons with nbgrader (``generate_assignment``) and refreshing the
committed student folders in ``lessons/`` from the release."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat

from .directory import Course
from .paths import LESSONS_DIR


class NbGraderError(RuntimeError):
    """An nbgrader step failed; the message holds its log."""


def nbgrader_result(result: dict[str, Any], what: str) -> str:
    if not result.get("success"):
        raise NbGraderError(f"{what} failed:\n{result.get('log', '')}\n{result.get('error', '')}")
    return str(result.get("log", ""))


def release(course: Course, lessons: Iterable[str] | None = None) -> list[str]:
    """nbgrader ``generate_assignment`` for each lesson (default: all in ``source/``)."""
    course.require()
    todo = list(lessons) if lessons is not None else course.lessons()
    api = course.api()
    for lesson in todo:
        if not (course.source / lesson / f"{lesson}.ipynb").is_file():
            raise ValueError(f"lesson {lesson!r} is not in {course.source}; build it first")
        nbgrader_result(api.generate_assignment(lesson, force=True, create=True),
                        f"generate_assignment {lesson}")
    return todo


def clean_notebook(path: str | Path) -> None:
    """Rewrite a notebook without outputs or execution counts (as kept in git)."""

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, str(path))


def copy_release(course: Course, lesson: str, dest: str | Path) -> Path:
    """Copy ``release/<lesson>/`` to ``dest`` (replaced), notebooks cleaned."""
    src = course.release_dir / lesson
    if not (src / f"{lesson}.ipynb").is_file():
        raise FileNotFoundError(f"{lesson} is not released in {course.root}")
    dest = Path(dest)
    tmp = Path(tempfile.mkdtemp(prefix=f".{lesson}-", dir=dest.parent if dest.parent.exists()
                                else None))
    try:
        staged = tmp / lesson
        shutil.copytree(src, staged, ignore=shutil.ignore_patterns("__pycache__", "*.pyc",
                                                                  ".ipynb_checkpoints"))
        for nb in staged.rglob("*.ipynb"):
            nb.chmod(0o644)
            clean_notebook(nb)
        for f in staged.rglob("*"):
            f.chmod(0o755 if f.is_dir() else 0o644)
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), str(dest))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def update_lessons(course: Course, lessons: Iterable[str] | None = None,
                   dest: str | Path = LESSONS_DIR) -> list[Path]:
    """Rewrite ``lessons/<lesson>/`` from the course's release."""
    todo = list(lessons) if lessons is not None else course.released()
    return [copy_release(course, lesson, Path(dest) / lesson) for lesson in todo]


# --- comparing generated lesson folders --------------------------------------------------
