"""Building a course: ``build_course`` refreshes the grading pipeline (``lab_config.py``), writes
the instructor's ``nbgrader_config.py`` only when it is missing, and (re)writes
``source/<lesson>/`` (the source notebook, the lesson's student kit, ``fixtures.pt`` and
``blocks/``); it never touches submissions, grades or the secret, so rebuilding an
existing course is safe."""

from __future__ import annotations

import ast
import os
import secrets
import shutil
import warnings
from collections.abc import Iterable
from pathlib import Path

import nbformat
import torch

from ..checks.fixtures import write_fixtures
from .blocks import copy_blocks
from .config_files import write_course_config
from .directory import Course
from .display_cells import problems
from .kernel_metadata import stamp_language_info
from .kit import copy_kit
from .lessons import SOLUTION_MODULES, available_lessons, lesson_blocks
from .paths import (
    BLOCKS_FILE,
    DEFAULT_COURSE_DIR,
    FIXTURES_FILE,
    NOT_SHIPPED,
    SOLUTIONS_DIR,
    VERDICTS_DIR,
)
from .run_all import tag_raising_cells


def build_course(root: str | Path = DEFAULT_COURSE_DIR, lessons: Iterable[str] | None = None, *,
                 solutions_dir: str | Path = SOLUTIONS_DIR) -> Course:
    """Create or refresh the course at ``root``: configuration, secret (kept if
    present) and ``source/<lesson>/`` for each lesson (default: all in ``solutions/``)."""
    course = Course(Path(root))
    solutions_dir = Path(solutions_dir)
    wanted = list(lessons) if lessons is not None else available_lessons(solutions_dir)
    unknown = [x for x in wanted if not (solutions_dir / x / f"{x}.ipynb").is_file()]
    if unknown:
        raise ValueError(f"no source notebook for {unknown} in {solutions_dir} "
                         f"(available: {available_lessons(solutions_dir)})")
    for sub in ("source", "release", "submitted", "autograded", "feedback", VERDICTS_DIR):
        (course.root / sub).mkdir(parents=True, exist_ok=True)
    for note in write_course_config(course.root):
        warnings.warn(note, stacklevel=2)
    if not course.secret_path.exists():
        fd = os.open(course.secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    for lesson in wanted:
        build_lesson_source(course, lesson, solutions_dir)
    return course


def build_lesson_source(course: Course, lesson: str, solutions_dir: str | Path = SOLUTIONS_DIR
                        ) -> Path:
    """Write ``source/<lesson>/``: the source notebook (its check and solution cells tagged
    so that Run All goes on past them, :mod:`grader.course.run_all`; the kernel's
    ``language_info`` written so that it opens unmodified,
    :mod:`grader.course.kernel_metadata`), any data files of the
    lesson, ``labkit/``, ``fixtures.pt`` and, if the lesson has them, ``blocks/``."""

    src = Path(solutions_dir) / lesson
    check_display_cells(src / f"{lesson}.ipynb")
    dest = course.source / lesson
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
    notebook = nbformat.read(str(dest / f"{lesson}.ipynb"), as_version=4)
    tagged = tag_raising_cells(notebook)
    if stamp_language_info(notebook) or tagged:
        nbformat.write(notebook, str(dest / f"{lesson}.ipynb"))
    copy_kit(lesson, dest / "labkit")
    write_lesson_fixtures(lesson, dest / FIXTURES_FILE)
    blocks = lesson_blocks(lesson, solutions_dir)
    used = notebook_block_imports(dest / f"{lesson}.ipynb")
    # The notebook's imports are compared by top-level module: a block may be a sub-module
    # such as layers.encoder (shipped without layers.decoder).
    shipped = {name.split(".")[0] for name in blocks}
    if used - shipped:
        raise ValueError(f"{lesson}.ipynb imports blocks {sorted(used - shipped)} that the lesson "
                         f"does not ship; add them to {src / BLOCKS_FILE} (or "
                         f"grader.course.lessons.BLOCKS[{lesson!r}])")
    if blocks:
        copy_blocks(blocks, dest / "blocks", withheld=SOLUTION_MODULES.get(lesson, ()))
    return dest


def check_display_cells(path: str | Path) -> None:
    """Refuse a source notebook whose display-only cells the autograder could not
    leave unrun without changing a grade (:mod:`grader.course.display_cells`)."""


    found = problems(nbformat.read(str(path), as_version=4).cells)
    if found:
        raise ValueError(f"{Path(path).name}: display-only cells the autograder skips must "
                         "score nothing and define nothing other cells read:\n  "
                         + "\n  ".join(found))


def write_lesson_fixtures(lesson: str, path: str | Path) -> Path:
    """``grader.checks.fixtures.write_fixtures`` with torch's global random state seeded
    (and restored afterwards), so that the fixtures are the same on every build even
    when a catalogued mistake draws from the global generator (e.g. one that ignores
    the ``generator`` argument): ``lessons/`` can then be compared with a rebuild."""


    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return write_fixtures(lesson, path)


def notebook_block_imports(path: str | Path) -> set[str]:
    """Top-level ``blocks`` modules a notebook imports (``from blocks.x import``,
    ``import blocks.x``, ``from blocks import x``)."""

    nb = nbformat.read(str(path), as_version=4)
    used: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines()
                         if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue  # a solution stub may not parse; imports live in the first cell
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                head, _, rest = node.module.partition(".")
                if head == "blocks":
                    used.update([rest.split(".")[0]] if rest else [a.name for a in node.names])
            elif isinstance(node, ast.Import):
                for a in node.names:
                    head, _, rest = a.name.partition(".")
                    if head == "blocks" and rest:
                        used.add(rest.split(".")[0])
    return used


# --- release ----------------------------------------------------------------------------
