"""Lesson 06's three short questions, with their answers and mistakes (trusted; never shipped)."""

from __future__ import annotations

from .. import Entry, mistake
from ._common import ID

ENTRIES = [
    Entry(f"{ID}/per_token_loss", "b", (
        mistake("thinks_speed", "one cross-entropy per token is not about speed: the chain rule "
                "makes log p(sentence) a SUM of per-token terms, and each term trains one decoding "
                "step.")("a"),
        mistake("thinks_exact_match", "an all-or-nothing score for the whole sentence gives almost "
                "no signal and no gradient; the per-token terms reward every correct step.")("c"),
        mistake("thinks_encoder_only", "the loss is computed on the DECODER's predictions, one per "
                "target token; the encoder gets its gradient through cross-attention.")("d"),
    ), points=1),
    Entry(f"{ID}/infilling_hides", "c", (
        mistake("thinks_which_tokens", "token masking hides which tokens are missing as well; what "
                "one [MASK] per span hides in addition is how MANY tokens it stands for.")("a"),
        mistake("thinks_position", "with token deletion the position is hidden; with infilling "
                "the [MASK] shows where something was taken out. Think of a span's length.")("b"),
        mistake("thinks_order", "infilling never reorders tokens (sentence permutation and "
                "document rotation do).")("d"),
    ), points=1),
    Entry(f"{ID}/t5_target_sentinels", 3, (
        mistake("forgot_final_sentinel", "round(0.15 * 40) = 6 noise tokens in round(6 / 3) = 2 "
                "spans: one sentinel per span, and under this lesson's rule (the paper's figure) the "
                "targets end with one more. T5's released code would stop at 2; the question asks "
                "about the lesson's rule.")(2),
        mistake("sentinel_per_token", "sentinels mark SPANS, not tokens: 6 noise tokens in spans of "
                "about 3 make 2 spans.")(6),
        mistake("sentinel_per_token_plus_final", "sentinels mark SPANS, not tokens: 6 noise tokens "
                "in spans of about 3 make 2 spans, plus the final sentinel.")(7),
        mistake("counted_inputs_only", "the inputs hold one sentinel per span (2); the targets "
                "hold those 2 and a final one.")(1),
    ), points=1),
]
# Sanity: the T5 numbers of the question.
assert round(0.15 * 40) == 6 and max(1, round(6 / 3.0)) + 1 == 3
