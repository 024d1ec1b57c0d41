"""Lesson 09's three short questions: the right values and the catalogued wrong ones
(trusted; never shipped)."""

from __future__ import annotations

import math

from .. import Entry, mistake
from ._common import ID


def _answer(id: str, hint: str, value: object) -> object:
    return mistake(id, hint)(value)


ENTRIES = [
    Entry(f"{ID}/uncached_token_passes", 5050, (
        _answer("counted_with_cache", "100 is the count WITH a cache (one new position a step). "
                "Without it, step t processes all t positions again: add 1 + 2 + ... + 100.", 100),
        _answer("n_squared", "the prefix grows by one each step, so the steps cost 1, 2, ..., "
                "100 positions: n(n + 1) / 2, about half of n squared.", 10_000),
        _answer("off_by_one", "the step that writes token t reads t positions (the prompt and "
                "the t - 1 tokens written so far): the sum runs from 1 to 100, not 0 to 99.",
                4950),
    ), points=1),
    Entry(f"{ID}/uniform_perplexity", 500.0, (
        _answer("gave_the_nll", "ln 500 = 6.21 is the mean NLL (the loss); perplexity is its "
                "exponential, e^ln 500.", math.log(500)),
        _answer("gave_the_probability", "1/500 is the probability of each token; perplexity is "
                "exp of the mean NEGATIVE log-probability, i.e. 1 / (1/500).", 1 / 500),
        _answer("gave_bits", "log2 500 = 8.97 is the cross-entropy in bits; perplexity is "
                "2 to that power (or e to the loss in nats).", math.log2(500)),
    ), points=1),
    Entry(f"{ID}/what_bleu_measures", "b", (
        _answer("thinks_recall", "BLEU divides by the n-grams of the HYPOTHESIS, not of the "
                "reference: it is a precision; recall is only approximated by the brevity "
                "penalty.", "a"),
        _answer("thinks_likelihood", "BLEU compares output text with reference text and needs "
                "no model probabilities; the probability of the reference is what perplexity "
                "measures.", "c"),
        _answer("thinks_f1", "BLEU computes no recall and no F1: clipped n-gram precisions for "
                "n = 1 .. 4, their geometric mean, times a brevity penalty.", "d"),
    ), points=1),
]
