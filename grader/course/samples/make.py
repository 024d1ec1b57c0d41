"""The sample submissions of one lesson, every kind asked for, with the points each
deserves (see the package docstring)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from .kinds import MAKERS
from .lesson import LessonParts
from .sample import KINDS, Sample


def make_samples(lesson: str, source_nb: NotebookNode, release_nb: NotebookNode,
                 mistakes_dir: str | Path | None = None, *,
                 kinds: Iterable[str] = KINDS, max_mistakes: int | None = None,
                 lesson_dir: str | Path | None = None,
                 seed_for: Callable[[str], int] | None = None) -> list[Sample]:
    """The sample submissions of one lesson, in the order of :data:`KINDS`.

    ``lesson_dir`` (the lesson's folder, with ``labkit/`` and ``blocks/``) and
    ``seed_for`` (student -> hidden-test seed) are needed when a mistake can break
    another exercise: its score is then decided by the trusted checker."""
    kinds = list(kinds)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown sample kinds {sorted(unknown)}; expected some of {KINDS}")
    if not kinds:
        return []
    parts = LessonParts.read(lesson, source_nb, release_nb, mistakes_dir)
    out = [s for kind in KINDS if kind in kinds for s in MAKERS[kind](parts, max_mistakes)]
    parts.decide_pending(lesson_dir, seed_for)
    return out


def lesson_samples(source_dir: str | Path, release_dir: str | Path, lesson: str,
                   mistakes_dir: str | Path | None = None, **kwargs: Any) -> list[Sample]:
    """:func:`make_samples` from a course's ``source/<lesson>`` and ``release/<lesson>``."""
    source_nb = nbformat.read(str(Path(source_dir) / f"{lesson}.ipynb"), as_version=4)
    release_nb = nbformat.read(str(Path(release_dir) / f"{lesson}.ipynb"), as_version=4)
    kwargs.setdefault("lesson_dir", source_dir)
    return make_samples(lesson, source_nb, release_nb, mistakes_dir, **kwargs)
