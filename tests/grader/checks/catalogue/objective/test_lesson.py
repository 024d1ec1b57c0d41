"""Lesson 07 (the training objective) as a whole: the short answers, the mistakes the
course names, and the candidates of the notebook path (``FLOW``). What every lesson
satisfies (its notebook, sample mistakes, blocks, fixtures) is tested once in
``test_lessons.py``."""

from __future__ import annotations

import pytest

import grader
from grader.checks.catalogue.objective.causal_lm_loss import clm_no_shift
from grader.checks.catalogue.objective.train_step import ts_clip_after_step, ts_no_zero_grad

from . import test_causal_lm_loss, test_dataset_nll, test_sequence_log_prob, test_train_step
from ._common import entries, xid
from .test_dataset_nll import nll_builtin_reductions
from .test_train_step import ts_manual_clip, ts_zero_grad_at_end

CORRECT_ANSWERS = {"long_sequences": ["b", " B "], "objective_change": [2.5, 2.50, 5 / 2, 2.5000001],
                   "parallel_training": ["b", "B"]}


@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in CORRECT_ANSWERS.items() for a in answers])
def test_correct_answers_pass(name, answer):
    """Right answers pass however they are written (2.5 or 5/2, 'b' or ' B ')."""
    for hidden in (False, True):
        assert grader.check(xid(name), answer, hidden=hidden).passed


def test_the_mistakes_the_course_names_are_catalogued():
    """The mistakes the lesson plan names are all in the catalogue."""
    ids = {name: {m.id for m in e.mistakes} for name, e in entries().items()}
    assert {"no_log_softmax", "log_softmax_wrong_axis", "ignored_positions_counted",
            "mean_instead_of_sum", "mean_over_vocab"} <= ids["sequence_log_prob"]
    assert {"padding_counted", "sum_divided_by_batch", "mean_not_divided",
            "mean_over_vocab"} <= ids["dataset_nll"]
    assert {"no_shift", "shift_wrong_direction", "padding_counted", "sum_instead_of_mean",
            "softmax_wrong_axis", "no_log_softmax"} <= ids["causal_lm_loss"]
    assert {"step_before_backward", "no_zero_grad", "clip_after_step", "clipping_not_applied",
            "returns_before_update"} <= ids["train_step"]


#: The notebook path of test_lessons.py: visible checks that pass, a visible check that fails
#: with its hint, and hidden evidence judged by the trusted grader (None: it passes).
FLOW = {
    "checks": [("train_step", ts_zero_grad_at_end)],
    "fails": [("train_step", ts_clip_after_step.fn, "clip the gradients BEFORE")],
    "records": [("train_step", ts_manual_clip, None), ("train_step", ts_no_zero_grad.fn, "no_zero_grad"),
                ("causal_lm_loss", clm_no_shift.fn, "no_shift"), ("dataset_nll", nll_builtin_reductions, None)],
}


#: The banks of correct alternatives (and right answers) of test_lessons.py, by exercise.
BANKS = {"sequence_log_prob": test_sequence_log_prob.BANK, "dataset_nll": test_dataset_nll.BANK,
         "causal_lm_loss": test_causal_lm_loss.BANK, "train_step": test_train_step.BANK} | CORRECT_ANSWERS
