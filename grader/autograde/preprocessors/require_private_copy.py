"""``RequirePrivateCopy``: runs FIRST, before nbgrader's sanitize steps.

``pretraining-lab autograde`` grades each submission in a private copy of the course that
holds the instructor's files and, of the submission, only its notebook and nbgrader's
bookkeeping files (:mod:`grader.autograde.worker`), and says so by setting
``private_copy``. nbgrader's own ``autograde`` (its command, Formgrader's *Autograde*
button) would grade in the course folder itself, where nbgrader copies every file of the
submission beside the notebook, among them a student's own additions to ``labkit/`` or
``blocks/`` that the kernel would import. Rather than grade differently, this step refuses
there and names the command that grades as the course intends.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from traitlets import Bool

from .base import LabPreprocessor


class RefusedAutograde(RuntimeError):
    """nbgrader's own autograde on this course, which grades with the submission's files."""


class RequirePrivateCopy(LabPreprocessor):
    """Refuse to autograde anywhere but in ``pretraining-lab autograde``'s private copy."""

    private_copy = Bool(
        False,
        help="Set by `pretraining-lab autograde` for the private copy of the course in which "
        "it grades one submission with the instructor's files only. False (nbgrader's own "
        "autograde command, Formgrader's Autograde button) refuses to grade, naming the "
        "command to use. Never set it in a course's configuration.",
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]
                   ) -> tuple[NotebookNode, dict[str, Any]]:
        if not self.private_copy:
            nbg = resources.get("nbgrader", {})
            student, lesson = nbg.get("student", "STUDENT"), nbg.get("assignment", "LESSON")
            raise RefusedAutograde(
                "This course is graded with `pretraining-lab autograde`, which runs each "
                "notebook in a sandbox with the instructor's files only; nbgrader's own "
                "autograde (its command, Formgrader's Autograde button) would use the files "
                "that came with the submission. Run: pretraining-lab autograde --course "
                f"{self.root()} --student {student} --lesson {lesson} (then reload Formgrader)")
        return nb, resources
