"""The report's statistics against values computed by hand: mean, median, histogram,
difficulty, discrimination (corrected item-total correlation), the unanswered exercises
apart from the diagnosed mistakes, and the catalogue's hints."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from grader.checks import registry
from grader.checks.catalogue import CatalogueMistake, Entry
from grader.report import CellResult, ReportData, Submission, stats
from grader.report import data as report_data

LESSON = "02_attention"
CELLS = [("check_a", 1.0), ("check_b", 1.0), ("check_c", 1.0)]


def sub(student, *scores, status="graded", mistakes=None):
    mistakes = mistakes or [None] * len(scores)
    cells = {gid: CellResult(float(x), pts, m)
             for (gid, pts), x, m in zip(CELLS, scores, mistakes, strict=True)}
    return Submission(student, LESSON, cells, status)


def guttman():
    """Four submissions on three exercises, each exercise passed by the strongest ones."""
    return ReportData("/c", {LESSON: CELLS}, [sub("s1", 1, 1, 1), sub("s2", 1, 1, 0),
                                              sub("s3", 1, 0, 0), sub("s4", 0, 0, 0)])


def test_mean_median_extremes_and_deviation():
    """Totals 3, 2, 1, 0: mean and median 1.5, sample standard deviation sqrt(5/3)."""
    sm = stats.lesson_stats(guttman(), LESSON).summary
    assert (sm.n, sm.mean, sm.median, sm.minimum, sm.maximum) == (4, 1.5, 1.5, 0, 3)
    assert sm.stdev == pytest.approx(math.sqrt(5 / 3))
    assert sm.percent(1.5) == 50


def test_median_of_an_odd_count_and_a_single_submission():
    """The median is the middle total; one submission has a deviation of 0."""
    assert stats.summarize([4, 0, 1], 4).median == 1
    assert stats.summarize([2], 4).stdev == 0
    assert stats.summarize([], 4) is None


def test_difficulty_is_the_mean_fraction_of_the_points():
    """Exercise a is passed by 3 of 4, b by 2, c by 1; partial credit counts its fraction."""
    ls = stats.lesson_stats(guttman(), LESSON)
    assert [it.difficulty for it in ls.items] == [0.75, 0.5, 0.25]
    assert [it.pass_rate for it in ls.items] == [0.75, 0.5, 0.25]
    partial = stats.item_stats(LESSON, "check_a", 4.0, [
        Submission("x", LESSON, {"check_a": CellResult(1.0, 4.0)}),
        Submission("y", LESSON, {"check_a": CellResult(4.0, 4.0)})])
    assert partial.difficulty == pytest.approx((0.25 + 1.0) / 2)
    assert partial.passed == 1


def test_discrimination_is_the_correlation_with_the_rest_of_the_lesson():
    """By hand: a's scores (1,1,1,0) against the rest (2,1,0,0) correlate sqrt(3/11);
    b's (1,1,0,0) against (2,1,1,0), 1/sqrt(2); c's (1,0,0,0) against (2,2,1,0), sqrt(3/11)."""
    ls = stats.lesson_stats(guttman(), LESSON)
    got = [it.discrimination for it in ls.items]
    assert got == pytest.approx([math.sqrt(3 / 11), 1 / math.sqrt(2), math.sqrt(3 / 11)])
    assert [stats.discrimination_label(r) for r in got] == ["very good"] * 3


def test_an_exercise_only_weak_submissions_pass_discriminates_negatively():
    """Exercise c passed by the two weakest only: its correlation with the rest is -1."""
    d = ReportData("/c", {LESSON: CELLS}, [sub("s1", 1, 1, 0), sub("s2", 1, 1, 0),
                                           sub("s3", 0, 0, 1), sub("s4", 0, 0, 1)])
    c = stats.lesson_stats(d, LESSON).items[2]
    assert c.discrimination == pytest.approx(-1.0)
    assert stats.discrimination_label(c.discrimination) == "negative"


def test_discrimination_is_undefined_without_variation_or_submissions():
    """Everyone passed (no variation), or fewer than three graded submissions: None."""
    d = ReportData("/c", {LESSON: CELLS}, [sub("s1", 1, 1, 1), sub("s2", 1, 0, 1),
                                           sub("s3", 1, 0, 0)])
    assert stats.lesson_stats(d, LESSON).items[0].discrimination is None
    two = ReportData("/c", {LESSON: CELLS}, [sub("s1", 1, 1, 1), sub("s2", 0, 0, 0)])
    assert all(it.discrimination is None for it in stats.lesson_stats(two, LESSON).items)
    assert stats.discrimination_label(None) == "n/a"


def test_only_graded_submissions_count():
    """A submission that could not be graded is left out of every statistic."""
    d = guttman()
    d.submissions.append(sub("s5", 0, 0, 0, status="error"))
    ls = stats.lesson_stats(d, LESSON)
    assert len(ls.submissions) == 5 and len(ls.graded) == 4
    assert ls.summary.mean == 1.5 and ls.items[0].difficulty == 0.75


def test_a_lesson_without_submissions_has_no_summary():
    """No submission: no summary, and exercises with nothing graded."""
    ls = stats.lesson_stats(ReportData("/c", {LESSON: CELLS}, []), LESSON)
    assert ls.summary is None and not ls.submissions
    assert all(it.graded == 0 and it.difficulty is None for it in ls.items)


def test_histogram_puts_full_marks_in_the_last_bin():
    """Ten equal bins of [0, 1]; 1.0 falls in the last one, 0.1 in the second."""
    assert stats.histogram([0.0, 0.05, 0.1, 0.95, 1.0], 10) == [2, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    assert stats.histogram([0.2, 0.39, 0.4], 5) == [0, 2, 1, 0, 0]


def test_unanswered_exercises_are_not_mistakes():
    """``not_implemented`` counts as unanswered, other ids as diagnosed mistakes, and a
    failure without an id as another failure."""
    d = ReportData("/c", {LESSON: CELLS}, [
        sub("empty", 0, 0, 0, mistakes=["not_implemented"] * 3),
        sub("wrong", 0, 0, 1, mistakes=["polarity_flipped", None, None]),
    ])
    a, b, _ = stats.lesson_stats(d, LESSON).items
    assert (a.unanswered, a.diagnosed, a.other_failures) == (1, 1, 0)
    assert (b.unanswered, b.diagnosed, b.other_failures) == (1, 0, 1)
    assert stats.mistake_counts(d.submissions) == {(f"{LESSON}/a", "polarity_flipped"): 1}
    assert stats.unanswered_counts(d.submissions) == {f"{LESSON}/a": 1, f"{LESSON}/b": 1,
                                                      f"{LESSON}/c": 1}


def test_hints_come_from_the_catalogue(monkeypatch):
    """A diagnosed mistake's hint is its catalogue entry's; an unknown pair has none, and a
    catalogue that cannot load gives no hints rather than no report."""
    entry = Entry(f"{LESSON}/a", None, (CatalogueMistake("polarity_flipped", "Flip it."),))
    monkeypatch.setattr(registry, "exercises", lambda: {entry.exercise_id:
                                                        SimpleNamespace(entry=entry)})
    pairs = [(f"{LESSON}/a", "polarity_flipped"), (f"{LESSON}/a", "other"), ("x/y", "z")]
    assert report_data.mistake_hints(pairs) == {(f"{LESSON}/a", "polarity_flipped"): "Flip it."}

    def broken():
        raise ValueError("harnesses without a catalogue entry")

    monkeypatch.setattr(registry, "exercises", broken)
    assert report_data.mistake_hints(pairs) == {}
