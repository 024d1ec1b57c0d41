"""Lesson 05's short questions: right answers pass however they are written."""

from __future__ import annotations

import pytest

import grader

from ._bank import exercise_id

CORRECT_ANSWERS = {"mask_fraction": [0.12, 0.120, 12 / 100], "loss_positions": [3, 3.0, 0.15 * 20],
                   "why_keep": ["b", " B "]}


@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in CORRECT_ANSWERS.items() for a in answers])
def test_correct_answers_pass(name, answer):
    """Right answers pass whichever way they are written (0.12 or 12/100, 'b' or ' B ')."""
    for hidden in (False, True):
        assert grader.check(exercise_id(name), answer, hidden=hidden).passed
