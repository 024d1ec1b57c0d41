"""The three short questions: right answers pass however they are written; the visible
fixtures never hold an answer in clear."""

from __future__ import annotations

import pytest
import torch

from grader.checks.fixtures import build_fixtures

from ._common import LESSON, assert_passes, modes

BANK = {
    "order_without_positions": ["b", " B"],
    "skip_connections": ["b", "B "],
    "encoder_output_shape": [(1, 15, 768), [1, 15, 768], torch.Size([1, 15, 768])],
}


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("name, answer", [pytest.param(n, a, id=f"{n}-{a!r}")
                                          for n, answers in BANK.items() for a in answers])
def test_right_answer_passes_however_written(name, answer, hidden, seed):
    """A right answer passes as a tuple, a list or a torch.Size, in either case, with spaces."""
    assert_passes(name, answer, hidden, seed)


def test_question_answers_are_not_shipped_in_clear():
    """The visible fixtures hold digests of the answers, never the answers."""
    fixtures = build_fixtures(LESSON)
    entry = fixtures["exercises"]["encoder_output_shape"]
    assert "15, 768" not in repr(entry)
