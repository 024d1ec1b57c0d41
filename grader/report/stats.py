"""The report's statistics: the score distribution of each lesson and the item analysis of
each exercise, computed from :class:`~grader.report.data.ReportData` alone.

Only the *graded* submissions of a lesson count (status ``graded``): one that could not be
graded at all scored nothing for reasons that are not the student's answers, and the report
lists it apart. The definitions are classical test theory's item analysis (L. Crocker and
J. Algina, *Introduction to Classical and Modern Test Theory*, 1986, ch. 14; R. L. Ebel and
D. A. Frisbie, *Essentials of Educational Measurement*, 1991, ch. 13), an exercise being an
item:

* **difficulty** (the item's *p*-value): the mean fraction of the exercise's points the
  submissions got. 1 means every submission got it all (an easy exercise), 0 that none got
  any. With all-or-nothing exercises it is the pass rate.
* **discrimination**: the *corrected item-total correlation*, Pearson's correlation between
  the exercise's score and the rest of the lesson's score (the lesson's total without this
  exercise) over the graded submissions; for an all-or-nothing exercise this is the
  point-biserial correlation. It is high when the submissions that do well on the rest of
  the lesson get this exercise and the weak ones do not; near 0 when the exercise says
  nothing about the rest; negative when strong submissions fail it more often than weak
  ones (look at the exercise, or its check). The rest score, not the total, is used so
  that the exercise is not correlated with itself. We prefer it to the upper-minus-lower
  27 % groups index (Kelley, 1939) because a class is small: with 20 submissions each
  27 % group holds 5, so that index moves in steps of 0.2 and ignores the middle 46 %,
  while the correlation uses every submission. It is undefined (None) with fewer than
  three graded submissions, or when the exercise's or the rest's scores do not vary
  (everyone passed, or the lesson has one exercise).

Ebel and Frisbie's rule of thumb reads a discrimination of 0.40 and above as very good,
0.30-0.39 as reasonably good, 0.20-0.29 as marginal and below 0.20 as poor
(:func:`discrimination_label`).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .data import ReportData, Submission, exercise_id

#: the fewest graded submissions a correlation is computed on
MIN_FOR_DISCRIMINATION = 3


@dataclass(frozen=True)
class Summary:
    """The distribution of a lesson's total scores (points) over its graded submissions."""

    n: int
    max_score: float
    mean: float
    median: float
    minimum: float
    maximum: float
    stdev: float  # the sample standard deviation, 0 for one submission

    def percent(self, points: float) -> float:
        """``points`` as a percentage of the lesson's points."""
        return 100 * points / self.max_score if self.max_score else 0.0


@dataclass(frozen=True)
class ItemStats:
    """One exercise's row of the item analysis, over a lesson's graded submissions."""

    lesson: str
    grade_id: str
    max_score: float
    graded: int
    passed: int  # got the full points
    unanswered: int  # left as released: not a mistake
    diagnosed: int  # failed with a catalogued mistake named
    difficulty: float | None  # mean fraction of the points; None with no graded submission
    discrimination: float | None  # corrected item-total correlation

    @property
    def exercise_id(self) -> str:
        return exercise_id(self.lesson, self.grade_id)

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.graded if self.graded else None

    @property
    def other_failures(self) -> int:
        """Submissions that did not get the full points, with no mistake named."""
        return self.graded - self.passed - self.unanswered - self.diagnosed


@dataclass(frozen=True)
class LessonStats:
    """A lesson's submissions, its score distribution and its item analysis."""

    lesson: str
    cells: list[tuple[str, float]]
    submissions: list[Submission]
    graded: list[Submission]
    summary: Summary | None  # None when nothing is graded
    items: list[ItemStats]

    @property
    def max_score(self) -> float:
        return sum(p for _, p in self.cells)


def summarize(scores: Sequence[float], max_score: float) -> Summary | None:
    """Mean, median, extremes and standard deviation of ``scores``; None if empty."""
    if not scores:
        return None
    stdev = statistics.stdev(scores) if len(scores) > 1 else 0.0
    return Summary(len(scores), max_score, statistics.fmean(scores), statistics.median(scores),
                   min(scores), max(scores), stdev)


def histogram(fractions: Sequence[float], bins: int = 10) -> list[int]:
    """How many of ``fractions`` (0..1) fall in each of ``bins`` equal bins; the last bin
    holds 1.0 (full marks), values outside [0, 1] are clipped."""
    counts = [0] * bins
    for f in fractions:
        counts[min(bins - 1, max(0, math.floor(f * bins)))] += 1
    return counts


def correlation(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's correlation of ``x`` and ``y``; None with fewer than
    :data:`MIN_FOR_DISCRIMINATION` pairs or when either does not vary."""
    if len(x) != len(y):
        raise ValueError(f"{len(x)} values against {len(y)}")
    if len(x) < MIN_FOR_DISCRIMINATION:
        return None
    mx, my = statistics.fmean(x), statistics.fmean(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _cell_score(s: Submission, grade_id: str) -> float:
    cell = s.cells.get(grade_id)
    return (cell.score or 0.0) if cell else 0.0


def item_stats(lesson: str, grade_id: str, max_score: float,
               graded: Sequence[Submission]) -> ItemStats:
    """The item analysis of one exercise over a lesson's graded submissions."""
    cells = [s.cells.get(grade_id) for s in graded]
    item = [_cell_score(s, grade_id) for s in graded]
    rest = [s.score - x for s, x in zip(graded, item, strict=True)]
    passed = sum(1 for c in cells if c is not None and c.passed)
    unanswered = sum(1 for c in cells if c is not None and c.unanswered and not c.passed)
    diagnosed = sum(1 for c in cells if c is not None and c.mistake and not c.unanswered
                    and not c.passed)
    difficulty = (statistics.fmean(x / max_score for x in item)
                  if graded and max_score else None)
    return ItemStats(lesson, grade_id, max_score, len(graded), passed, unanswered, diagnosed,
                     difficulty, correlation(item, rest))


def lesson_stats(data: ReportData, lesson: str) -> LessonStats:
    """The statistics of one lesson of ``data``."""
    cells = data.lessons.get(lesson, [])
    subs = data.of_lesson(lesson)
    graded = [s for s in subs if s.status == "graded"]
    total = sum(p for _, p in cells)
    items = [item_stats(lesson, gid, pts, graded) for gid, pts in cells]
    return LessonStats(lesson, cells, subs, graded,
                       summarize([s.score for s in graded], total), items)


def all_lessons(data: ReportData) -> list[LessonStats]:
    """The statistics of every lesson of ``data``, in its order."""
    return [lesson_stats(data, lesson) for lesson in data.lessons]


def mistake_counts(submissions: Iterable[Submission]) -> Counter[tuple[str, str]]:
    """How often each (exercise id, mistake id) was diagnosed in ``submissions``,
    unanswered exercises apart."""
    counts: Counter[tuple[str, str]] = Counter()
    for s in submissions:
        for gid, cell in s.cells.items():
            if cell.mistake and not cell.unanswered:
                counts[(exercise_id(s.lesson, gid), cell.mistake)] += 1
    return counts


def unanswered_counts(submissions: Iterable[Submission]) -> Counter[str]:
    """How often each exercise id was left unanswered (as released) in ``submissions``."""
    return Counter(exercise_id(s.lesson, gid) for s in submissions
                   for gid, c in s.cells.items() if c.unanswered)


def ranked(counts: Counter[Any]) -> list[tuple[Any, int]]:
    """``counts`` most frequent first, ties by exercise and mistake."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def discrimination_label(r: float | None) -> str:
    """Ebel and Frisbie's reading of a discrimination index."""
    if r is None:
        return "n/a"
    if r >= 0.4:
        return "very good"
    if r >= 0.3:
        return "good"
    if r >= 0.2:
        return "marginal"
    return "poor" if r >= 0 else "negative"
