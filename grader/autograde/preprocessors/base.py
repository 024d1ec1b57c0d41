"""What every Pretraining Lab preprocessor shares: where the course's trusted
files are (the course secret, the verdict logs) and which folder a notebook
is graded in."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ...course.directory import read_secret, student_seed
from ...course.paths import SECRET_FILE


class LabPreprocessor(NbGraderPreprocessor):
    """Base class of the course's preprocessors (not used on its own)."""

    course_root = Unicode(
        "",
        help="The course directory, which holds the course secret (.lab_secret) and the "
        "verdict logs (lab_verdicts/). Empty means the working directory, which is the "
        "course root while nbgrader converts notebooks; the course's lab_config.py "
        "sets it to its own folder.",
    ).tag(config=True)

    def root(self) -> Path:
        """The course directory (``course_root``, else the working directory)."""
        return Path(self.course_root or os.getcwd())

    def secret_path(self) -> Path:
        """The course secret's file."""
        return self.root() / SECRET_FILE

    def seed(self, resources: dict[str, Any]) -> int:
        """This submission's hidden-test seed, derived from the course secret (never
        read back from the submission's folder, which the student's kernel can write)."""
        nbg = resources["nbgrader"]
        return student_seed(read_secret(self.secret_path()), nbg["student"], nbg["assignment"])

    @staticmethod
    def notebook_folder(resources: dict[str, Any]) -> Path:
        """The folder the notebook is executed in (the kernel's working directory)."""
        path = (resources.get("metadata") or {}).get("path") or "."
        return Path(path)
