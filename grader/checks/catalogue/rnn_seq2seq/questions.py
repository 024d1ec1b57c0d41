"""Lesson 01's three short questions, with their answers and mistakes (trusted; never shipped)."""

from __future__ import annotations

from typing import Any

from .. import CatalogueMistake, Entry, mistake
from ._common import ID


def _answer(id: str, hint: str, value: Any) -> CatalogueMistake:
    """A wrong answer to a question, catalogued with its hint."""
    return mistake(id, hint)(value)


ENTRIES = [
    Entry(f"{ID}/context_shape", (4, 768), (
        _answer("all_states", "that is every state h_1..h_T, the encoder's output; the context "
                "is ONE vector per sentence: (B, H).", (4, 15, 768)),
        _answer("no_batch_axis", "(15, 768) is the states of one sentence; c is one H-sized "
                "vector for each of the 4 sentences.", (15, 768)),
        _answer("one_per_token", "c has one entry per hidden unit (768), not per token.", (4, 15)),
    ), points=1),
    Entry(f"{ID}/decoder_inputs", "b", (
        _answer("no_shift", "y_t is the token the decoder must predict at step t: it reads the "
                "PREVIOUS token y_{t-1} (teacher forcing shifts the targets right).", "a"),
        _answer("attention", "reading all encoder states at every step is attention (next "
                "lesson); the RNN decoder sees the source only through the one context c.", "c"),
        _answer("context_only", "with c only, every step would compute the same thing: the "
                "decoder also needs its previous state and the previous token.", "d"),
    ), points=1),
    Entry(f"{ID}/rnn_drawback", "b", (
        _answer("teacher_forcing", "RNN decoders are trained with teacher forcing too, as you "
                "did above; think of how the loop over time steps runs.", "a"),
        _answer("variable_length", "padding and the mask handle inputs of different lengths, as "
                "in your encoder; think of the loop over time steps.", "c"),
        _answer("parameters_grow", "the same W_x, W_h and b are reused at every step, so the "
                "number of parameters does not depend on the length.", "d"),
    ), points=1),
]
