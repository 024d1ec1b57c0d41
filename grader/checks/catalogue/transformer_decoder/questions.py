"""Lesson 04's three short questions: the right answer and the catalogued wrong ones."""

from __future__ import annotations

from .. import Entry, mistake
from ._common import ID


def _answer(id: str, hint: str, value) -> object:
    return mistake(id, hint)(value)


ENTRIES = [
    Entry(f"{ID}/cross_attention_shape", (2, 4, 7, 12), (
        _answer("queries_and_keys_swapped", "rows are queries and columns are keys: (B, H, T, S), "
                "with T = 7 target positions asking and S = 12 source positions answering.",
                (2, 4, 12, 7)),
        _answer("self_attention_shape", "that is the shape of the decoder's SELF-attention weights "
                "(T x T); cross-attention's keys are the 12 positions of the memory.", (2, 4, 7, 7)),
        _answer("heads_averaged", "the course's attention returns the weights of every head: "
                "(B, H, T, S). (2, 7, 12) is what nn.MultiheadAttention returns by default, "
                "averaged over heads.", (2, 7, 12)),
    ), points=1),
    Entry(f"{ID}/teacher_forcing_passes", 1, (
        _answer("one_pass_per_prediction", "that is how many predictions the loss adds up (y1 .. "
                "y10 and </s>). With teacher forcing the decoder input is the whole known target "
                "and the causal mask hides the future, so ONE pass gives all of them at once.", 11),
        _answer("one_pass_per_word", "with teacher forcing the decoder reads the whole target at "
                "once (the causal mask keeps each position from seeing its answer): one pass "
                "gives the predictions at every position.", 10),
        _answer("one_pass_per_token", "one pass reads the whole target sequence <s> y1 .. y10 at "
                "once; the causal mask, not separate passes, keeps the future hidden.", 12),
    ), points=1),
    Entry(f"{ID}/greedy_decoder_calls", 4, (
        _answer("counted_bos", "<s> is given, not predicted: each call predicts one of a, b, c, "
                "</s>.", 5),
        _answer("forgot_eos", "</s> is predicted too: decoding stops only after the model "
                "produced it, so a, b, c and </s> each took one call.", 3),
        _answer("teacher_forcing", "at inference the next input is unknown until the model has "
                "predicted it, so there is one call per generated token (a, b, c, </s>); "
                "only training, with the target known, needs a single pass.", 1),
    ), points=1),
]
