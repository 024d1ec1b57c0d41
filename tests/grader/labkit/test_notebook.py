"""The student-facing side of ``labkit.notebook``: how a failed check shows in a kernel."""

from __future__ import annotations

from grader.labkit.notebook import CheckFailed


def test_a_failed_check_shows_its_feedback_not_the_kits_frames() -> None:
    """IPython renders a CheckFailed as its message alone (first line named), so neither the
    notebook nor nbgrader's Validate dialog shows long frame lines of labkit/notebook.py."""
    err = CheckFailed("FAILED (values) f on case 'x'\n  expected 1.0, got 2.0")
    assert err._render_traceback_() == ["CheckFailed: FAILED (values) f on case 'x'",
                                        "  expected 1.0, got 2.0"]
    assert CheckFailed()._render_traceback_() == ["CheckFailed: "]
