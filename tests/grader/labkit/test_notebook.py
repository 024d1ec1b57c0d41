"""The student-facing side of ``labkit.notebook``: how a failed check shows in a kernel."""

from __future__ import annotations

from grader.labkit.notebook import WRAP, CheckFailed


def test_a_failed_check_shows_its_feedback_not_the_kits_frames() -> None:
    """IPython renders a CheckFailed as its message alone (first line named), so neither the
    notebook nor nbgrader's Validate dialog shows long frame lines of labkit/notebook.py."""
    err = CheckFailed("FAILED (values) f on case 'x'\n  expected 1.0, got 2.0")
    assert err._render_traceback_() == ["CheckFailed: FAILED (values) f on case 'x'",
                                        "  expected 1.0, got 2.0"]
    assert CheckFailed()._render_traceback_() == ["CheckFailed:"]


def test_long_feedback_lines_are_wrapped_keeping_their_indent() -> None:
    """A line longer than WRAP characters is broken between words, its continuation indented
    under it, so nbgrader's Validate dialog (which does not wrap) shows all of it."""
    words = " ".join(f"word{i}" for i in range(40))
    lines = CheckFailed(f"FAILED {words}\n  expected {words}")._render_traceback_()
    assert all(len(line) <= WRAP for line in lines)
    assert " ".join(" ".join(lines).split()) == f"CheckFailed: FAILED {words} expected {words}"
    second = next(i for i, line in enumerate(lines) if line.startswith("  expected"))
    assert lines[second + 1].startswith("      word")
