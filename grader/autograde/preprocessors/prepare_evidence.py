"""``PrepareEvidence``: runs just BEFORE nbgrader's ``Execute``.

It writes the submission's hidden-test seed (derived from the course secret,
the student and the lesson) to ``.lab_seed.json`` in the notebook's folder,
where ``labkit.record`` reads it, and removes any ``.lab_evidence/`` folder
that came with the submission or a previous run: only evidence written by this
execution of the restored test cells can be judged.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from ...labkit.evidence import EVIDENCE_DIR, SEED_FILE
from .base import LabPreprocessor


class PrepareEvidence(LabPreprocessor):
    """Write the hidden-test seed file and delete stale evidence before execution."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]
                   ) -> tuple[NotebookNode, dict[str, Any]]:
        folder = self.notebook_folder(resources)
        _remove(folder / EVIDENCE_DIR)
        _remove(folder / SEED_FILE)  # whatever the submission brought (file, folder or link)
        (folder / SEED_FILE).write_text(json.dumps({"seed": self.seed(resources)}) + "\n")
        return nb, resources


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
