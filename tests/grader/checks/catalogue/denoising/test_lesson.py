"""Lesson 06 (denoising autoencoding) as a whole: the short answers, the mistakes the
course names, what the statistical cases hold and what their feedback says, and the
candidates of the notebook path (``FLOW``). What every lesson satisfies (its notebook,
sample mistakes, blocks, fixtures) is tested once in ``test_lessons.py``.

The corruptions are randomised: their banks (one test file per exercise) draw in other
ways (per-token Bernoulli draws against exact counts, ceil / round / floor, argsort of
uniforms, multinomial, Knuth's Poisson sampler, spans placed by compositions,
Fisher-Yates, torch.roll, fairseq's rotation that never keeps the start), so they only
pass if the harness judges the properties of the outputs and not the reference's draws.
"""

from __future__ import annotations

import math
import re

import pytest

import grader
from grader.checks.catalogue.denoising.document_rotation import dr_off_by_one
from grader.checks.catalogue.denoising.seq2seq_loss import loss_mean_per_sequence
from grader.checks.catalogue.denoising.span_corruption import sc_no_final
from grader.checks.catalogue.denoising.text_infilling import ti_mask_per_token, ti_no_zero
from grader.checks.catalogue.denoising.token_masking import tm_count_whole
from grader.checks.engine import cases_for
from grader.checks.registry import get
from grader.labkit.exercises.denoising._common import _unpack_rows, split_boundary

from . import (
    test_document_rotation,
    test_sentence_permutation,
    test_seq2seq_loss,
    test_shift_right,
    test_span_corruption,
    test_text_infilling,
    test_token_deletion,
    test_token_masking,
)
from ._common import (
    RANDOMISED,
    assert_judge_ignores_reference_draws,
    assert_no_false_alarms,
    entries,
    exercise_id,
    modes,
)
from .test_shift_right import shift_cat
from .test_span_corruption import span_t5_interleaved
from .test_text_infilling import infilling_walk

CORRECT_ANSWERS = {"per_token_loss": ["b", " B "], "infilling_hides": ["c", "C"],
                   "t5_target_sentinels": [3]}


@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in CORRECT_ANSWERS.items() for a in answers])
def test_correct_answers_pass(name, answer):
    """Right answers pass whichever way they are written ('b' or ' B ')."""
    for hidden in (False, True):
        assert grader.check(exercise_id(name), answer, hidden=hidden).passed


def test_catalogue_covers_the_mistakes_the_course_names():
    """The mistakes the course lists for this lesson are all catalogued."""
    ids = {name: {m.id for m in e.mistakes} for name, e in entries().items()}
    assert "corrupts_boundary_tokens" in ids["token_masking"]
    assert {"count_includes_boundary", "ratio_per_document"} <= ids["token_deletion"]
    assert {"one_mask_per_token", "fixed_span_length", "no_zero_length_spans"} <= ids["text_infilling"]
    assert "shuffles_tokens" in ids["sentence_permutation"]
    assert "reverses_instead_of_rotating" in ids["document_rotation"]
    assert {"reuses_one_sentinel", "missing_final_sentinel"} <= ids["span_corruption"]
    assert {"no_start_token", "keeps_ignore_index", "shifted_left"} <= ids["shift_right"]
    assert {"counts_ignored_positions", "mean_per_sequence", "sum_instead_of_mean",
            "mean_instead_of_sum"} <= ids["seq2seq_loss"]


def test_statistical_cases_have_the_power_they_claim():
    """The statistical cases are as large as their comments say: enough body tokens for the
    stated bounds, bodies of distinct ids, whole-number ratios, zero-length spans expected."""
    for hidden in (False, True):
        for name, ratio_key in (("token_masking", "mask_ratio"), ("token_deletion", "deletion_ratio")):
            case = {c.name: c for c in cases_for(get(exercise_id(name)), hidden=hidden, seed=4)}["statistics"]
            rows = _unpack_rows(case.inputs["tokens"], case.inputs["lengths"])
            bodies = [split_boundary(r.tolist())[1] for r in rows]
            ratio = case.args["params"][ratio_key]
            assert all(len(set(b)) == len(b) and (ratio * len(b)).is_integer() for b in bodies)
            assert sum(len(bodies[r]) for r, _ in case.args["calls"]) >= 3000
            assert sum(1 for r, _ in case.args["calls"] if not split_boundary(rows[r].tolist())[0]) >= 60
        case = cases_for(get(exercise_id("text_infilling")), hidden=hidden, seed=4)[1]
        rows = _unpack_rows(case.inputs["tokens"], case.inputs["lengths"])
        budget = sum(math.ceil(0.3 * len(split_boundary(r.tolist())[1])) for r in rows)
        assert budget / 3.0 * math.exp(-3.0) >= 15  # zero-length spans expected among ~budget/3


def test_feedback_states_measured_and_expected():
    """Statistical feedback names what was measured, the expected value with its bound, and the hint."""
    result = grader.check(exercise_id("token_masking"), tm_count_whole.fn)
    assert re.search(r"masked \d+ of \d+ body tokens = [\d.]+%; expected 40.0% \+/- [\d.]+%",
                     result.feedback), result.feedback
    result = grader.check(exercise_id("text_infilling"), ti_no_zero.fn)
    assert "no [MASK] of the" in result.feedback and "e^-3" in result.feedback
    result = grader.check(exercise_id("document_rotation"), dr_off_by_one.fn)
    assert "start positions came" in result.feedback


def test_hidden_feedback_shows_no_hidden_tokens():
    """A failing hidden case says what was wrong but prints none of its tokens."""
    result = grader.check(exercise_id("span_corruption"), sc_no_final.fn, hidden=True, seed=3)
    assert "hidden case" in result.feedback and "tokens [" not in result.feedback
    result = grader.check(exercise_id("span_corruption"), sc_no_final.fn)
    assert "tokens [" in result.feedback  # the visible case shows its tokens and outputs


#: The notebook path of test_lessons.py: visible checks that pass, a visible check that fails
#: with its hint, and hidden evidence judged by the trusted grader (None: it passes).
FLOW = {
    "checks": [("text_infilling", infilling_walk), ("shift_right", shift_cat)],
    "fails": [("span_corruption", sc_no_final.fn, "final sentinel")],
    "records": [("span_corruption", span_t5_interleaved, None),
                ("text_infilling", ti_mask_per_token.fn, "one_mask_per_token"),
                ("seq2seq_loss", loss_mean_per_sequence.fn, "mean_per_sequence")],
}


#: The banks of correct alternatives (and right answers) of test_lessons.py, by exercise.
BANKS = {m.NAME: m.ALTERNATIVES for m in (
    test_token_masking, test_token_deletion, test_text_infilling, test_sentence_permutation,
    test_document_rotation, test_span_corruption, test_shift_right, test_seq2seq_loss)} | CORRECT_ANSWERS


@pytest.mark.parametrize("name, candidate", [(n, c) for n in (*RANDOMISED, "shift_right", "seq2seq_loss")
                                             for c in BANKS[n]], ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(name, candidate, hidden, seed):
    """Every correct implementation in the bank passes, visible and hidden, for several seeds."""
    result = grader.check(exercise_id(name), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


@pytest.mark.parametrize("name", RANDOMISED)
def test_judge_ignores_the_reference_draws(name):
    """The judge decides from the candidate's outputs alone: removing the reference's and
    the mistakes' outputs changes no verdict."""
    assert_judge_ignores_reference_draws(name, BANKS[name][1])


@pytest.mark.parametrize("name", RANDOMISED)
def test_statistics_do_not_reject_correct_code(name):
    """No false alarm on two correct implementations over 6 fresh hidden seeds."""
    assert_no_false_alarms(name, BANKS[name][:2])
