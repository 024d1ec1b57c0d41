"""The instructor report's plain-text formatting."""

from __future__ import annotations

from grader.report import CellResult, ReportData, Submission, format_report

CELLS = [("check_padding_mask", 1.0), ("check_scaled_dot_product_attention", 3.0)]


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
    lines = format_report(data()).splitlines()
    row = next(line for line in lines if line.startswith("02_attention/padding_mask"))
    assert row.split()[1:] == ["2", "3", "67%"]
    row = next(line for line in lines if line.startswith("02_attention/scaled_dot_product_attention"))
    assert row.split()[1:] == ["1", "3", "33%"]


def test_most_frequent_mistakes_first_and_failures_listed():
    text = format_report(data(), top=1)
    section = text.split("Most frequent diagnosed mistakes (top 1) ==")[1]
    first = section.strip().splitlines()[2].split()
    assert first == ["2", "02_attention/scaled_dot_product_attention", "missing_scale"]
    assert "polarity_flipped" not in section.split("==")[0]
    assert "dan / 02_attention: error: CellTimeoutError: no reply" in text


def test_columns_line_up():
    lines = format_report(data()).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("student"))
    widths = {len(line) for line in lines[header:header + 6] if line.strip()}
    assert max(widths) - min(widths) <= len("graded") - len("error") + 1


def test_empty_report():
    text = format_report(ReportData("/c", {}, []))
    assert "No submissions" in text
