"""The course directory (nbgrader's layout) and nbgrader's API over it::

      nbgrader_config.py     the instructor's nbgrader settings: written by the first build,
                             never rewritten; it loads lab_config.py first
      lab_config.py          the grading pipeline, a copy of grader/course/lab_config.py
                             refreshed by every build (never edit the copy)
      .lab_secret            random, made at the first build; derives each student's
                             hidden-test seed (never inside a student-visible folder)
      gradebook.db
      source/<lesson>/       <lesson>.ipynb (instructor version), labkit/, fixtures.pt,
                             blocks/ (provided building blocks, some lessons)
      release/<lesson>/      the student version (nbgrader generate_assignment)
      submitted/<student>/<lesson>/
      autograded/<student>/<lesson>/
      feedback/<student>/<lesson>/
      lab_verdicts/<lesson>/<student>.json   the trusted verdicts of the last autograde

It also derives each student's hidden-test seed from the course secret.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from . import paths
from .paths import CONFIG_FILE, COURSE_ID, SECRET_FILE, VERDICTS_DIR


def student_seed(secret: str, student: str, lesson: str) -> int:
    """The hidden-test seed of one student's lesson: an HMAC of the course secret,
    so students cannot compute another's (or their own, before grading)."""
    digest = hmac.new(secret.encode(), f"{lesson}\x00{student}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def read_secret(path: str | Path) -> str:
    path = Path(path)
    try:
        secret = path.read_text().strip()
    except FileNotFoundError:
        raise FileNotFoundError(f"no course secret at {path}: build the course first "
                                "(pretraining-lab build)") from None
    if len(secret) < 32:
        raise ValueError(f"the course secret in {path} is too short")
    return secret


@dataclass(frozen=True)
class Course:
    """A course directory (nbgrader layout) and the nbgrader API over it."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())

    source = property(lambda self: self.root / "source")
    release_dir = property(lambda self: self.root / "release")
    submitted = property(lambda self: self.root / "submitted")
    autograded = property(lambda self: self.root / "autograded")
    feedback = property(lambda self: self.root / "feedback")
    verdicts = property(lambda self: self.root / VERDICTS_DIR)
    db_path = property(lambda self: self.root / "gradebook.db")
    config_path = property(lambda self: self.root / CONFIG_FILE)
    secret_path = property(lambda self: self.root / SECRET_FILE)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def exists(self) -> bool:
        return self.config_path.is_file() and self.secret_path.is_file()

    def require(self) -> Course:
        if not self.exists():
            raise FileNotFoundError(f"{self.root} is not a built course (no {CONFIG_FILE} or "
                                    f"{SECRET_FILE}); run: pretraining-lab build --course {self.root}")
        return self

    def lessons(self) -> list[str]:
        """Lessons in ``source/``."""
        if not self.source.is_dir():
            return []
        return sorted(p.name for p in self.source.iterdir() if (p / f"{p.name}.ipynb").is_file())

    def released(self) -> list[str]:
        if not self.release_dir.is_dir():
            return []
        return sorted(p.name for p in self.release_dir.iterdir() if (p / f"{p.name}.ipynb").is_file())

    def submissions(self, students: Sequence[str] = (), lessons: Sequence[str] = ()
                    ) -> list[tuple[str, str]]:
        """(student, lesson) pairs in ``submitted/``, optionally filtered."""
        found = []
        if self.submitted.is_dir():
            for sdir in sorted(self.submitted.iterdir()):
                if not sdir.is_dir() or (students and sdir.name not in students):
                    continue
                for ldir in sorted(sdir.iterdir()):
                    if ldir.is_dir() and (not lessons or ldir.name in lessons) \
                            and (ldir / f"{ldir.name}.ipynb").is_file():
                        found.append((sdir.name, ldir.name))
        return found

    def seed(self, student: str, lesson: str) -> int:
        return student_seed(read_secret(self.secret_path), student, lesson)

    def config(self, *, stock: bool = False, log_level: str = "WARN") -> Any:
        """The traitlets Config nbgrader runs with: the course's ``nbgrader_config.py``
        (or, with ``stock=True``, nbgrader's defaults, for comparisons)."""

        cfg = Config()
        if not stock:
            cfg.merge(PyFileConfigLoader(CONFIG_FILE, path=str(self.root)).load_config())
        cfg.CourseDirectory.root = str(self.root)
        cfg.CourseDirectory.course_id = COURSE_ID
        cfg.NbGraderAPI.log_level = log_level
        return cfg

    def api(self, *, stock: bool = False, log_level: str | None = None) -> Any:
        """nbgrader's own Python API (``nbgrader.apps.NbGraderAPI``) on this course."""

        _tools_on_path()
        cfg = self.config(stock=stock, log_level=log_level or paths.LOG_LEVEL)
        coursedir = CourseDirectory(config=cfg)
        return NbGraderAPI(coursedir=coursedir, config=cfg)


def _tools_on_path() -> None:
    """nbgrader runs the ``alembic`` command of its environment by name: make sure
    this interpreter's scripts folder is on PATH even when the venv is not activated."""
    scripts = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if scripts not in path:
        os.environ["PATH"] = os.pathsep.join([scripts, *path])

