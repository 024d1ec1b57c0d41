"""The three short questions: right answers pass however they are written."""

from __future__ import annotations

import pytest
import torch

import grader

from ._common import exercise_id

CORRECT_ANSWERS = {"cross_attention_shape": [(2, 4, 7, 12), [2, 4, 7, 12], torch.Size([2, 4, 7, 12])],
                   "teacher_forcing_passes": [1], "greedy_decoder_calls": [4]}


@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in CORRECT_ANSWERS.items() for a in answers],
                         ids=str)
def test_correct_answers_pass(name, answer):
    """Right answers pass however they are written (a tuple, a list or a torch.Size)."""
    for hidden in (False, True):
        result = grader.check(exercise_id(name), answer, hidden=hidden)
        assert result.passed, result.feedback
