"""Lesson 01 as a whole: the short questions' accepted answers, the mistakes the lesson
plan names, and the candidates of the notebook path (``FLOW``). What every lesson satisfies
(its notebook, sample mistakes, blocks, fixtures) is tested once in ``test_lessons.py``."""

from __future__ import annotations

import pytest
import torch

import grader
from grader.checks.catalogue.rnn_seq2seq.RNNDecoder import DecoderNoContext
from grader.checks.catalogue.rnn_seq2seq.RNNEncoder import EncoderPaddingUpdates
from grader.checks.catalogue.rnn_seq2seq.teacher_forcing_batch import tf_no_shift
from grader.checks.registry import get

from . import (
    test_context_vector,
    test_RNNDecoder,
    test_RNNEncoder,
    test_teacher_forced_loss,
    test_teacher_forcing_batch,
)
from ._common import LESSON, exercise_id
from .test_context_vector import context_python_rows
from .test_RNNDecoder import DecoderInlined
from .test_RNNEncoder import EncoderPerSentence

CORRECT_ANSWERS = {"context_shape": [(4, 768), [4, 768], torch.Size([4, 768])],
                   "decoder_inputs": ["b", " B "], "rnn_drawback": ["b", "B"]}


def _entries():
    return {i.split("/", 1)[1]: get(i).entry for i in grader.list_exercises(LESSON)}


@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in CORRECT_ANSWERS.items()
                                         for a in answers], ids=str)
def test_correct_answers_pass(name, answer):
    """Right answers pass whichever way they are written ((4, 768) or [4, 768], 'b' or ' B ')."""
    for hidden in (False, True):
        assert grader.check(exercise_id(name), answer, hidden=hidden).passed


def test_catalogue_covers_the_mistakes_the_course_names():
    """The mistakes the lesson plan names are all in the catalogue."""
    ids = {name: {m.id for m in e.mistakes} for name, e in _entries().items()}
    assert {"forgets_previous_state", "padding_updates_state", "padding_resets_state"} <= ids["RNNEncoder"]
    assert {"last_ignores_padding", "mean_includes_padding"} <= ids["context_vector"]
    assert {"ignores_context", "context_not_fed_each_step"} <= ids["RNNDecoder"]
    assert {"no_shift", "loss_over_pad_positions"} <= ids["teacher_forcing_batch"]
    assert {"loss_over_pad_positions", "always_mean", "always_sum", "double_softmax",
            "nll_of_probabilities"} <= ids["teacher_forced_loss"]


#: The notebook path of test_lessons.py: visible checks that pass, a visible check that fails
#: with its hint, and hidden evidence judged by the trusted grader (None: it passes).
FLOW = {
    "checks": [("RNNEncoder", EncoderPerSentence)],
    "fails": [("RNNEncoder", EncoderPaddingUpdates.fn, "keep the previous state")],
    "records": [("RNNDecoder", DecoderInlined, None), ("RNNDecoder", DecoderNoContext.fn, "ignores_context"),
                ("teacher_forcing_batch", tf_no_shift.fn, "no_shift"), ("context_vector", context_python_rows, None)],
}


#: The banks of correct alternatives (and right answers) of test_lessons.py, by exercise.
BANKS = {"RNNEncoder": test_RNNEncoder.ENCODER_ALTERNATIVES, "context_vector": test_context_vector.CONTEXT_ALTERNATIVES,
         "RNNDecoder": test_RNNDecoder.DECODER_ALTERNATIVES, "teacher_forcing_batch": test_teacher_forcing_batch.TF_ALTERNATIVES,
         "teacher_forced_loss": test_teacher_forced_loss.LOSS_ALTERNATIVES} | CORRECT_ANSWERS
