"""Lesson 10's ``best_span``: the catalogued mistakes and the entry (reference
``reference.bert.best_span``; the span decoding of Google's ``run_squad.py``)."""

from __future__ import annotations

import torch

from reference.bert import best_span

from .. import Entry, Requirement, mistake
from ._common import ID


def _span(start_logits, end_logits, context_mask, max_answer_len, *, order=True, limit=True,
          extra=0, context=True):
    t = start_logits.shape[1]
    scores = start_logits[:, :, None] + end_logits[:, None, :]  # (B, T, T)
    i, j = torch.arange(t)[:, None], torch.arange(t)[None, :]
    valid = torch.ones(t, t, dtype=torch.bool)
    if order:
        valid &= j >= i
    if limit:
        valid &= (j - i) < max_answer_len + extra
    if context:
        valid = valid & context_mask[:, :, None] & context_mask[:, None, :]
    flat = scores.masked_fill(~valid, float("-inf")).flatten(1).argmax(1)  # (B,)
    return flat // t, flat % t


ARGMAX_HINT = ("the start and the end are not chosen apart: an argmax of each may give an end "
               "before the start, a span too long or one in the question. Score every valid pair "
               "(i, j) by start_logits[i] + end_logits[j] and keep the best.")


@mistake("independent_argmax", ARGMAX_HINT)
def span_argmax(start_logits, end_logits, context_mask, max_answer_len):
    return start_logits.argmax(1), end_logits.argmax(1)


@mistake("independent_argmax", ARGMAX_HINT)
def span_argmax_in_context(start_logits, end_logits, context_mask, max_answer_len):
    starts = start_logits.masked_fill(~context_mask, float("-inf")).argmax(1)
    return starts, end_logits.masked_fill(~context_mask, float("-inf")).argmax(1)


@mistake("end_before_start", "a span ends at or after its start: keep only the pairs with "
         "j >= i (the upper triangle of the (T, T) score table).")
def span_no_order(start_logits, end_logits, context_mask, max_answer_len):
    return _span(start_logits, end_logits, context_mask, max_answer_len, order=False)


@mistake("no_length_limit", "an answer holds at most max_answer_len tokens: leave out the pairs "
         "with j - i + 1 > max_answer_len.")
def span_no_limit(start_logits, end_logits, context_mask, max_answer_len):
    return _span(start_logits, end_logits, context_mask, max_answer_len, limit=False)


@mistake("length_off_by_one", "a span from i to j holds j - i + 1 tokens: at most max_answer_len "
         "tokens means j - i < max_answer_len, not j - i <= max_answer_len.")
def span_off_by_one(start_logits, end_logits, context_mask, max_answer_len):
    return _span(start_logits, end_logits, context_mask, max_answer_len, extra=1)


@mistake("context_ignored", "the answer lies in the paragraph: both its start and its end must be "
         "positions where context_mask is True (not the question, [CLS], [SEP] or padding).")
def span_no_context(start_logits, end_logits, context_mask, max_answer_len):
    return _span(start_logits, end_logits, context_mask, max_answer_len, context=False)


@mistake("context_start_only", "BOTH ends of the span must lie in the paragraph: check "
         "context_mask at the end position too, not only at the start.")
def span_context_start(start_logits, end_logits, context_mask, max_answer_len):
    everywhere = torch.ones_like(context_mask)
    s, e = _span(start_logits.masked_fill(~context_mask, float("-inf")), end_logits, everywhere,
                 max_answer_len)
    return s, e


@mistake("outputs_swapped", "return (starts, ends) in this order.")
def span_swapped(start_logits, end_logits, context_mask, max_answer_len):
    s, e = best_span(start_logits, end_logits, context_mask, max_answer_len)
    return e, s


MISTAKES = (span_argmax, span_argmax_in_context, span_no_order, span_no_limit, span_off_by_one, span_no_context,
            span_context_start, span_swapped)

REQUIREMENTS = (
    Requirement("the span maximises start_logits[i] + end_logits[j] over the valid pairs together",
                broken_by=("independent_argmax",)),
    Requirement("end >= start", broken_by=("end_before_start",)),
    Requirement("at most max_answer_len tokens (j - i + 1 <= max_answer_len)",
                broken_by=("no_length_limit", "length_off_by_one")),
    Requirement("both ends in the paragraph (context_mask True)",
                broken_by=("context_ignored", "context_start_only")),
    Requirement("returns (starts, ends)", broken_by=("outputs_swapped",)),
)

ENTRY = Entry(f"{ID}/best_span", best_span, MISTAKES, points=2, requirements=REQUIREMENTS)
