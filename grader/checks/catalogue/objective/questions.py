"""Lesson 07's three short questions: the right values and the catalogued wrong ones
(trusted; never shipped)."""

from __future__ import annotations

import math

from .. import Entry, mistake
from ._common import ID


def _answer(id: str, hint: str, value: object) -> object:
    return mistake(id, hint)(value)


ENTRIES = [
    Entry(f"{ID}/long_sequences", "b", (
        _answer("thinks_harder_tokens", "a long sequence need not be harder per token: even at "
                "the same loss per token, it adds one log-probability per token to the sum.", "a"),
        _answer("thinks_compute_cost", "the cost of computing attention does not enter the "
                "objective; count the terms each sequence adds to the sum.", "c"),
        _answer("thinks_normalised", "the sum is not divided by anything; dividing by the "
                "number of sequences would not change which sequences weigh most either.", "d"),
    ), points=1),
    Entry(f"{ID}/objective_change", 2.5, (
        _answer("sign_of_the_loss", "the objective is the log-likelihood, which RISES by 2.5; the "
                "loss (its negative) would fall by 2.5.", -2.5),
        _answer("divided_by_dataset_size", "the objective is a sum over sequences, not a mean: "
                "one term changes by 2.5, so the sum changes by 2.5.", 0.0025),
        _answer("multiplied_probability", "log-probabilities add: the sequence's probability is "
                "multiplied by e^2.5, and the log-likelihood rises by 2.5.", math.exp(2.5)),
    ), points=1),
    Entry(f"{ID}/parallel_training", "b", (
        _answer("thinks_own_predictions", "in training the model reads the TRUE previous tokens "
                "(teacher forcing), not its own predictions; feeding back predictions forces one "
                "step at a time.", "a"),
        _answer("thinks_independent", "positions are not independent: each predicts its token "
                "from all the tokens before it. The causal mask lets this happen in one pass.", "c"),
        _answer("thinks_bidirectional", "if every position could see the whole sequence, it "
                "would see the very token it has to predict; the causal mask hides the future.",
                "d"),
    ), points=1),
]
