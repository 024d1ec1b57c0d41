"""Authoring in place: an instructor opens ``solutions/<lesson>/<lesson>.ipynb`` in
JupyterLab and runs it top to bottom. The notebook imports ``labkit`` and ``blocks`` and
its checks read ``fixtures.pt``, as in a student's folder, so each solutions folder gets
links (ignored by git and by the build) to the committed student folder's copies in
``lessons/<lesson>/``. After an edit, ``pretraining-lab release --update-lessons``
brings the change to the course and to ``lessons/``."""

from __future__ import annotations

import os
from pathlib import Path

from .lessons import available_lessons
from .paths import FIXTURES_FILE, LESSONS_DIR, SOLUTIONS_DIR

#: What a lesson notebook needs beside it, as released.
LINKED = ("labkit", "blocks", FIXTURES_FILE)


def link_lesson(lesson: str, solutions_dir: str | Path = SOLUTIONS_DIR,
                lessons_dir: str | Path = LESSONS_DIR) -> list[Path]:
    """Link ``solutions/<lesson>/{labkit,blocks,fixtures.pt}`` to ``lessons/<lesson>/``
    (relative links, replaced if present; a real file or folder there is left alone and
    reported); the links made."""
    source, released = Path(solutions_dir) / lesson, Path(lessons_dir) / lesson
    if not (released / f"{lesson}.ipynb").is_file():
        raise ValueError(f"expected a released lesson folder at {released}; run "
                         f"`pretraining-lab release --update-lessons --lessons {lesson}`")
    made = []
    for name in LINKED:
        target, link = released / name, source / name
        if not target.exists():
            continue  # a lesson without blocks
        if link.exists() and not link.is_symlink():
            raise ValueError(f"{link} exists and is not a link: move it away first, the "
                             "build never ships it")
        if link.is_symlink():
            link.unlink()
        link.symlink_to(os.path.relpath(target, source))
        made.append(link)
    return made


def link_solutions(solutions_dir: str | Path = SOLUTIONS_DIR,
                   lessons_dir: str | Path = LESSONS_DIR) -> list[Path]:
    """:func:`link_lesson` for every lesson with a released folder."""
    made = []
    for lesson in available_lessons(solutions_dir):
        if (Path(lessons_dir) / lesson / f"{lesson}.ipynb").is_file():
            made += link_lesson(lesson, solutions_dir, lessons_dir)
    return made
