"""What every kind of sample of one lesson is made from (:class:`LessonParts`): its
notebooks, the source's solutions, the autograded cells and their points, the
exercise names, the mistake files, and the samples whose scores are still to be
decided by the trusted checker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from ..paths import CHECK_PREFIX
from .mistakes import MistakeFile, dependents, mistake_files, validate_mistakes
from .notebook_cells import solution_order, solution_sources, test_cells
from .sample import Sample
from .trusted import Pending, decide_pending


@dataclass
class LessonParts:
    """One lesson's notebooks and what is read from them."""

    lesson: str
    source_nb: NotebookNode
    release_nb: NotebookNode
    #: grade_id -> points of every autograded cell, in notebook order
    checks: dict[str, float]
    #: grade_id -> the source's code of every solution cell
    solutions: dict[str, str]
    #: the exercise names (test cells ``check_<name>``), in notebook order
    names: list[str]
    mistakes: list[MistakeFile]
    #: samples whose checks of dependent exercises the trusted checker decides
    pending: list[Pending] = field(default_factory=list)

    @classmethod
    def read(cls, lesson: str, source_nb: NotebookNode, release_nb: NotebookNode,
             mistakes_dir: str | Path | None) -> LessonParts:
        """Read the parts; raise ``ValueError`` if the release has no test cells or a
        mistake file names an exercise the notebook lacks."""
        checks = test_cells(release_nb)
        if not checks:
            raise ValueError(f"{lesson}: the notebook has no autograded test cells")
        solutions = solution_sources(source_nb)
        names = [gid[len(CHECK_PREFIX):] for gid in checks if gid.startswith(CHECK_PREFIX)]
        mistakes = mistake_files(mistakes_dir) if mistakes_dir else []
        validate_mistakes(lesson, mistakes, solutions, checks)
        return cls(lesson, source_nb, release_nb, checks, solutions, names, mistakes)

    @property
    def full(self) -> dict[str, float]:
        """Full points on every autograded cell."""
        return dict(self.checks)

    @property
    def zero(self) -> dict[str, float]:
        """No point on any autograded cell."""
        return dict.fromkeys(self.checks, 0.0)

    def expect_mistake(self, m: MistakeFile) -> dict[str, float]:
        """Full points except 0 on the mistaken exercise's check and what the mistake
        file states for other cells."""
        exp = self.full
        exp[CHECK_PREFIX + m.name] = 0.0
        for gid, pts in m.also.items():
            if gid not in exp:
                raise ValueError(f"{self.lesson}: {m.name}__{m.mistake_id} expects unknown "
                                 f"cell {gid}")
            exp[gid] = pts
        return exp

    def defer_dependents(self, sample: Sample, m: MistakeFile, code: dict[str, str]) -> Sample:
        """Leave the checks that use the mistaken exercise (and that the mistake file
        does not state) to the trusted checker; return ``sample``."""
        deps = [n for n in dependents(m.name, self.solutions, self.names)
                if CHECK_PREFIX + n not in m.also]
        if deps:
            self.pending.append(Pending(sample, code, deps))
        return sample

    def decide_pending(self, lesson_dir: str | Path | None,
                       seed_for: Callable[[str], int] | None) -> None:
        """Set the expected points of the deferred checks from the trusted checker."""
        if self.pending:
            decide_pending(self.lesson, self.source_nb, lesson_dir, seed_for, self.pending,
                           self.solutions, solution_order(self.source_nb))
