"""Lesson 09's ``top_p_filter`` entry: the reference (``reference.generation``) and the
catalogued mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch

from reference.generation import top_p_filter

from .. import Entry, Requirement, mistake
from ._common import ID

NEG_INF = float("-inf")
ROUNDING = 1e-6  # far below the harness's margin between a running total and p


def _unsort(logits, order, remove_sorted):
    remove = torch.zeros_like(remove_sorted).scatter(-1, order, remove_sorted)
    return logits.masked_fill(remove, NEG_INF)


@mistake("crossing_token_dropped", "keep the token whose probability makes the running total "
         "REACH p: a token is removed only when the tokens before it already hold p. Removing "
         "every token where the running total passes p drops it (and can remove every token).")
def tp_crossing(logits, p):
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    totals = torch.softmax(sorted_logits, -1).cumsum(-1)
    # "Passes p" by more than float32's rounding: at p = 1 the last running total is 1
    # up to its last bit, which differs between CPUs, and the fixtures must not.
    return _unsort(logits, order, totals > p + ROUNDING)


@mistake("ties_dropped", "tokens exactly as probable as the last token of the nucleus are kept "
         "too (a token is removed only when the tokens STRICTLY more probable than it hold p): "
         "sorting puts tied tokens in an arbitrary order, so some would be cut.")
def tp_ties(logits, p):
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    probs = torch.softmax(sorted_logits, -1)
    before = probs.cumsum(-1) - probs
    return _unsort(logits, order, before >= p)


@mistake("no_softmax", "p is a probability mass: turn the logits into probabilities with a "
         "softmax before adding them up.")
def tp_no_softmax(logits, p):
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    before = sorted_logits.cumsum(-1) - sorted_logits
    return _unsort(logits, order, before >= p)


@mistake("sorted_ascending", "the nucleus is made of the MOST probable tokens: sort in "
         "descending order before the running total.")
def tp_ascending(logits, p):
    sorted_logits, order = logits.sort(dim=-1)
    probs = torch.softmax(sorted_logits, -1)
    before = probs.cumsum(-1) - probs
    return _unsort(logits, order, before >= p)


@mistake("finite_fill", "give the removed tokens float('-inf'), not a large negative number: "
         "their probability must be exactly 0 after the softmax.")
def tp_finite(logits, p):
    out = top_p_filter(logits, p)
    return out.masked_fill(out == NEG_INF, -1e9)


REQUIREMENTS = (
    Requirement("a token is kept when the probability of the tokens strictly more probable "
                "than it is below p: the token that reaches p stays, and so do ties with it",
                broken_by=("crossing_token_dropped", "ties_dropped", "sorted_ascending")),
    Requirement("p is compared with probabilities (a softmax of the logits)",
                broken_by=("no_softmax",)),
    Requirement("removed tokens get -inf", broken_by=("finite_fill",)),
)

ENTRY = Entry(f"{ID}/top_p_filter", top_p_filter, (
    tp_crossing, tp_ties, tp_no_softmax, tp_ascending, tp_finite),
    points=2, requirements=REQUIREMENTS)
