"""Lesson 11 as a whole: case names stay unique; the tolerances keep their margin; the
questions' answers never ship in clear; the notebook names no solution block; the banks
(``BANKS``) and the candidates of the notebook path (``FLOW``). What every lesson satisfies
(its notebook, sample mistakes, blocks, fixtures, hidden feedback) is tested once in
``test_lessons.py``."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

import grader.checks.engine as engine
from grader.checks.catalogue.beyond_bert import distillation_loss as distil_catalogue
from grader.checks.catalogue.beyond_bert import prefix_lm_mask as mask_catalogue
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import get

from ._bank import (
    BANK,
    FLOAT_EXERCISES,
    LESSON,
    QUESTIONS,
    disc_gumbel,
    distil_manual,
    electra_logsigmoid,
    measure_errors,
    prefix_mask_block,
    spans_free_starts,
    xid,
)

ROOT = Path(__file__).resolve().parents[5]
NOTEBOOK = ROOT / "solutions" / LESSON / f"{LESSON}.ipynb"


def test_case_names_are_unique():
    """Case names key the evidence ("hidden:<name>"), so no two cases of an exercise share
    one, whatever a seed draws."""
    for name in BANK:
        ex = get(xid(name))
        for seed in range(20):
            names = [c.name for c in engine.cases_for(ex, hidden=True, seed=seed)]
            assert len(names) == len(set(names)), (name, seed, names)


@pytest.mark.parametrize("name", FLOAT_EXERCISES)
def test_tolerance_keeps_its_margin(name):
    """The bank stays well inside the tolerance (measured over 100 seeds by running _bank.py
    as a script; a few seeds here)."""
    worst = measure_errors(name, BANK[name], seeds=range(3))
    assert worst["fraction_of_tolerance"] < 0.3, worst


def test_question_answers_are_not_shipped_in_clear():
    """The visible fixtures hold digests of the answers, never the letters in clear."""
    fixtures = build_fixtures(LESSON)
    for name in QUESTIONS:
        entry = repr(fixtures["exercises"][name])
        assert f"'{get(xid(name)).entry.reference}'" not in entry, name


def test_notebook_never_names_the_solution_module():
    """No cell names the lesson's reference package: its solutions are never pointed at."""
    text = "".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells)
    assert "beyond_bert" not in text


#: The banks of correct alternatives (and right answers) of test_lessons.py, by exercise.
BANKS = BANK

#: The notebook path of test_lessons.py: visible checks that pass, a visible check that fails
#: with its hint, and hidden evidence judged by the trusted grader (None: it passes).
FLOW = {
    "checks": [("prefix_lm_mask", prefix_mask_block), ("discriminator_inputs", disc_gumbel),
               ("span_masking", spans_free_starts)],
    "fails": [("distillation_loss", distil_catalogue.distil_no_t2.fn, "multiply the soft loss by T")],
    "records": [("electra_loss", electra_logsigmoid, None), ("distillation_loss", distil_manual, None),
                ("prefix_lm_mask", mask_catalogue.mask_prefix_queries.fn, "prefix_on_queries")],
}
