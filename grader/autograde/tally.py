"""The engine-independent half of a batch's parent (:mod:`grader.autograde.batch`): what
each graded submission becomes. Whichever engine graded it (the local worker pool, or a
Dask cluster, :mod:`grader.autograde.dask_engine`), its result comes here, is merged into
the real course (:func:`grader.autograde.ledger.merge`) or recorded as an error, counted
once by (student, lesson), and shown on the progress bar and through the callback.
Only the parent process uses it, one submission at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from ..course.directory import Course
from .ledger import merge, record_error


class BatchError(RuntimeError):
    """The batch cannot run (sandbox unavailable, another grader running, ...)."""


@dataclass
class Outcome:
    """What happened to one submission (also what the CLI's progress prints)."""

    student: str
    lesson: str
    ok: bool
    seconds: float
    score: float | None = None
    max_score: float | None = None
    error: str | None = None
    faults: list[str] = field(default_factory=list)
    #: harmless remarks on the submission (a renamed notebook, ignored files)
    notes: list[str] = field(default_factory=list)
    skipped: bool = False


class Tally:
    """The submissions a batch grades and what became of each: every submission of
    ``todo`` ends merged or recorded as an error exactly once (a second result for a
    submission already counted, or one for a submission not asked for, is dropped)."""

    def __init__(self, course: Course, todo: list[tuple[str, str]],
                 digests: dict[tuple[str, str], str],
                 progress: Callable[[Outcome], None] | None = None,
                 show_bar: bool = False) -> None:
        self.course, self.todo, self.digests, self.progress = course, todo, digests, progress
        self.wanted = set(todo)
        self.counted: set[tuple[str, str]] = set()
        self.outcomes: list[Outcome] = []
        self.failing = 0
        self.bar = tqdm(total=len(todo), unit="sub", disable=not show_bar,
                        dynamic_ncols=True, desc="autograde")

    def __enter__(self) -> Tally:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()

    @property
    def done(self) -> bool:
        """Whether every submission of the batch is counted."""
        return len(self.counted) >= len(self.wanted)

    def left(self) -> int:
        """How many submissions are not counted yet."""
        return len(self.wanted) - len(self.counted)

    def merged(self, result: dict[str, Any]) -> Outcome | None:
        """Merge a worker's result (:func:`grader.autograde.worker.grade_private`) into
        the course and count it; None when that submission was counted already."""
        key = (result["student"], result["lesson"])
        if key in self.counted or key not in self.wanted:
            return None
        return self._finish(key, _merge_result(self.course, result, self.digests))

    def failed(self, student: str, lesson: str, reason: str,
               seconds: float = 0.0) -> Outcome | None:
        """Record a submission that could not be graded at all (an ``error`` verdict log,
        retried on the next run) and count it; None when it was counted already."""
        key = (student, lesson)
        if key in self.counted or key not in self.wanted:
            return None
        record_error(self.course, student, lesson, reason, self.digests.get(key, ""))
        return self._finish(key, Outcome(student, lesson, False, seconds, error=reason))

    def _finish(self, key: tuple[str, str], o: Outcome) -> Outcome:
        """Count a finished submission and show it."""
        self.counted.add(key)
        self.outcomes.append(o)
        self.failing += not o.ok or bool(o.faults)
        self.bar.update(1)
        self.bar.set_postfix(failing=self.failing, left=self.left())
        if self.progress is not None:
            self.progress(o)
        return o


def _merge_result(course: Course, result: dict[str, Any],
                  digests: dict[tuple[str, str], str]) -> Outcome:
    """Merge a worker's result into the course; its outcome (an error if it failed)."""
    student, lesson = result["student"], result["lesson"]
    if not result.get("ok"):
        reason = result.get("error") or "autograde failed"
        record_error(course, student, lesson, reason, digests.get((student, lesson), ""))
        return Outcome(student, lesson, False, result.get("seconds", 0.0), error=reason)
    try:
        merge(course, result)
    except Exception as exc:  # noqa: BLE001 - one bad merge must not stop the batch
        reason = f"merging into the gradebook failed: {type(exc).__name__}: {exc}"
        record_error(course, student, lesson, reason, digests.get((student, lesson), ""))
        return Outcome(student, lesson, False, result.get("seconds", 0.0), error=reason)
    g = result["grades"]
    return Outcome(student, lesson, True, result["seconds"], g["score"], g["max_score"],
                   faults=list(result["log"].get("faults", [])),
                   notes=list(result["log"].get("notes", [])))
