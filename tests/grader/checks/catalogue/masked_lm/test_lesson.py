"""Lesson 05 as a whole: the candidates of the notebook path (``FLOW``). What every lesson
satisfies (its exercises, notebook, sample mistakes, blocks, fixtures) is tested once in
``test_lessons.py``; the banks and the checks of each exercise are in its own file."""

from __future__ import annotations

from grader.checks.catalogue.masked_lm import mask_tokens as catalogue
from reference.mlm import mask_tokens as reference_mask_tokens

from . import test_questions
from ._bank import HEAD_ALTERNATIVES, LOSS_ALTERNATIVES, MASK_ALTERNATIVES, mask_multinomial

#: The notebook path of test_lessons.py: visible checks that pass, a visible check that fails
#: with its hint, and hidden evidence judged by the trusted grader (None: it passes).
FLOW = {
    "checks": [("mask_tokens", reference_mask_tokens)],
    "fails": [("mask_tokens", catalogue.mask_all_selected.fn, "became \\[MASK\\]")],
    "records": [("mask_tokens", mask_multinomial, None),
                ("mask_tokens", catalogue.mask_global_rng.fn, "ignores_generator"),
                ("mask_tokens", catalogue.mask_random_full_vocab.fn, "random_from_full_vocab")],
}


#: The banks of correct alternatives (and right answers) of test_lessons.py, by exercise.
BANKS = {"mask_tokens": MASK_ALTERNATIVES, "mlm_loss": LOSS_ALTERNATIVES,
         "MLMHead": HEAD_ALTERNATIVES} | test_questions.CORRECT_ANSWERS
