"""The student kit a lesson folder ships: the core of ``grader/labkit`` (checks,
comparison, evidence) and the harnesses of that lesson only, so that a change to one
lesson's harnesses leaves every other lesson's folder as it was
(``docs/architecture.md``, "What a lesson folder ships")."""

from __future__ import annotations

import shutil
from pathlib import Path

from .paths import LABKIT_DIR

EXERCISES = "exercises"
_JUNK = shutil.ignore_patterns("__pycache__", "*.pyc")


def harness_folder(lesson: str) -> str:
    """The lesson's folder of harnesses: its id without the number (``02_attention`` ->
    ``attention``)."""
    number, sep, short = lesson.partition("_")
    if not (sep and number.isdigit() and short.isidentifier()):
        raise ValueError(f"expected a lesson id like '02_attention', got {lesson!r}")
    return short


def copy_kit(lesson: str, dest: str | Path, kit_dir: str | Path = LABKIT_DIR) -> Path:
    """Write ``dest`` (replaced) as the lesson's ``labkit`` package: every module of the
    kit's core, ``exercises/__init__.py`` and ``exercises/<short>/``."""
    kit, dest = Path(kit_dir), Path(dest)
    own = kit / EXERCISES / harness_folder(lesson)
    if not own.is_dir():
        raise ValueError(f"lesson {lesson!r} has no harnesses: expected the folder {own}")
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(kit, dest, ignore=shutil.ignore_patterns(EXERCISES, "__pycache__", "*.pyc"))
    (dest / EXERCISES).mkdir()
    shutil.copyfile(kit / EXERCISES / "__init__.py", dest / EXERCISES / "__init__.py")
    shutil.copytree(own, dest / EXERCISES / own.name, ignore=_JUNK)
    return dest
