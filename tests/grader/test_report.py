"""The instructor report's plain-text formatting: the tables, the score distribution, the
pass rates and item analysis, the mistakes with their hints and the unanswered exercises
apart, the students' names, a lesson without submissions."""

from __future__ import annotations

from grader.report import CellResult, ReportData, Submission, format_report

CELLS = [("check_padding_mask", 1.0), ("check_scaled_dot_product_attention", 3.0)]
SDPA = "02_attention/scaled_dot_product_attention"


def sub(student, pm, sdpa, *, mistakes=(None, None), status="graded", reason=None):
    cells = {"check_padding_mask": CellResult(pm, 1.0, mistakes[0]),
             "check_scaled_dot_product_attention": CellResult(sdpa, 3.0, mistakes[1])}
    return Submission(student, "02_attention", cells, status, reason)


def data():
    return ReportData("/course", {"02_attention": CELLS}, [
        sub("alice", 1, 3),
        sub("bob", 0, 0, mistakes=("polarity_flipped", "missing_scale")),
        sub("carol", 1, 0, mistakes=(None, "missing_scale")),
        sub("dan", 0, 0, status="error", reason="Traceback ...\nCellTimeoutError: no reply"),
    ])


def test_scores_per_student_and_exercise():
    """One row per submission: the points of each exercise, the total and the status."""
    text = format_report(data())
    assert "4 students, 4 submissions, 1 lessons" in text
    assert "[1] padding_mask (1 pt)" in text and "[2] scaled_dot_product_attention (3 pt)" in text
    rows = {line.split()[0]: line.split() for line in text.splitlines()
            if line.split() and line.split()[0] in {"alice", "bob", "carol", "dan"}
            and " / " not in line}
    assert rows["alice"][1:] == ["1", "3", "4/4", "graded"]
    assert rows["bob"][1:] == ["0", "0", "0/4", "graded"]
    assert rows["dan"][-1] == "error"


def test_pass_rate_counts_graded_submissions_only():
    """The pass rate, difficulty and discrimination count the three graded submissions,
    not the one that could not be graded."""
    lines = format_report(data()).splitlines()
    row = next(line for line in lines if line.startswith("02_attention/padding_mask"))
    assert row.split()[1:7] == ["2", "3", "67%", "0", "0.67", "0.50"]
    row = next(line for line in lines if line.startswith(SDPA))
    assert row.split()[1:7] == ["1", "3", "33%", "0", "0.33", "0.50"]


def test_most_frequent_mistakes_first_and_failures_listed():
    """Mistakes are ranked by count, cut at ``top``; a submission not graded says why."""
    text = format_report(data(), top=1)
    section = text.split("Most frequent diagnosed mistakes (top 1) ==")[1]
    first = section.strip().splitlines()[2].split()
    assert first == ["2", SDPA, "missing_scale"]
    assert "polarity_flipped" not in section.split("==")[0]
    assert "dan / 02_attention: error: CellTimeoutError: no reply" in text


def test_columns_line_up():
    """The rows of the points table are as wide as its header, give or take the status."""
    lines = format_report(data()).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("student"))
    widths = {len(line) for line in lines[header:header + 6] if line.strip()}
    assert max(widths) - min(widths) <= len("graded") - len("error") + 1


def test_empty_report():
    """A gradebook without submissions says so."""
    text = format_report(ReportData("/c", {}, []))
    assert "No submissions" in text


def test_mean_median_and_distribution():
    """Each lesson gives the mean and median of its graded scores and their histogram."""
    text = format_report(data())
    # graded totals 4, 0, 1 of 4 points
    assert "score: mean 1.7/4 (42%), median 1/4 (25%), min 0, max 4" in text
    assert "3 of 4 submissions graded" in text
    rows = [line.split() for line in text.splitlines()]
    histogram = {r[0]: int(r[1]) for r in rows if r and r[0].endswith("%") and r[0][0].isdigit()}
    assert histogram == {"0-19%": 1, "20-39%": 1, "40-59%": 0, "60-79%": 0, "80-100%": 1}


def test_a_lesson_without_submissions_says_so():
    """A lesson of the gradebook that nobody submitted is named, and said to have none."""
    d = data()
    d.lessons["03_encoder"] = [("check_positional_encoding", 1.0)]
    assert "== 03_encoder: no submissions yet ==" in format_report(d)


def test_unanswered_exercises_are_counted_apart_from_mistakes():
    """An empty submission (every exercise left as released) adds no row to the mistakes:
    it is a blank submission, and an exercise left unanswered elsewhere is counted."""
    d = ReportData("/course", {"02_attention": CELLS}, [
        sub("erin", 0, 0, mistakes=("not_implemented", "not_implemented")),
        sub("carol", 1, 0, mistakes=(None, "missing_scale")),
        sub("frank", 0, 3, mistakes=("not_implemented", None)),
    ])
    text = format_report(d)
    mistakes = text.split("Most frequent diagnosed mistakes")[1].split("==\n")[1].split("==")[0]
    assert "not_implemented" not in mistakes and "missing_scale" in mistakes
    unanswered = text.split("Exercises left unanswered (not counted as mistakes) ==\n")[1]
    assert unanswered.splitlines()[0] == ("  02_attention: 1 blank submission (erin); "
                                          "unanswered in the others: padding_mask 1")
    row = next(line for line in text.splitlines() if line.startswith("02_attention/padding"))
    assert row.split()[4] == "2"  # the unanswered column


def test_students_are_named_where_the_gradebook_has_a_name():
    """A name from the gradebook is shown beside the id, in the table and the faults; a
    student without one keeps the id alone; gradebook students who did not submit are
    counted."""
    d = data()
    d.students = {"alice": "Ada Lovelace", "bob": "", "carol": "", "dan": "", "eve": ""}
    d.submissions[0].faults = ["the kernel died"]
    text = format_report(d)
    row = next(line for line in text.splitlines() if line.startswith("alice "))
    assert row.endswith("Ada Lovelace")
    assert "Ada Lovelace (alice) / 02_attention: the kernel died" in text
    assert "5 students" in text and "1 student of the gradebook did not submit" in text
    assert "bob (" not in text


def test_hints_follow_their_mistakes():
    """The catalogue's hint of a diagnosed mistake is printed under it."""
    d = data()
    d.hints = {(SDPA, "missing_scale"): "Divide the scores by the square root of d_k."}
    section = format_report(d).split("Most frequent diagnosed mistakes")[1]
    lines = section.splitlines()
    at = next(i for i, line in enumerate(lines) if "missing_scale" in line)
    assert lines[at + 1].strip() == "hint: Divide the scores by the square root of d_k."
