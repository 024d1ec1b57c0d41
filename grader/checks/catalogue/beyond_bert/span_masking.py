"""Lesson 11's ``span_masking`` entry (reference ``reference.beyond_bert.span_masking``).

Each mistake is a configurable span masking with one switch turned; the harness names it by
what it measures, with the hints it ships (``SPAN_MASKING_HINTS``).
"""

from __future__ import annotations

import math

import torch

from grader.labkit.exercises.beyond_bert.span_masking import SPAN_MASKING_HINTS
from reference.beyond_bert import span_lengths, span_masking

from .. import Entry, Requirement, mistake
from ._common import ID


def _spans(input_ids, *, mask_token_id, vocab_size, special_ids, mask_ratio=0.15, p=0.2, max_len=10,
           mask_replace_prob=0.8, random_replace_prob=0.1, generator=None, budget="tokens",
           per_token_select=False, per_token_replace=False, label="original", cut=True):
    """A configurable span masking: each mistake below turns one switch."""
    ids = input_ids.clone()
    special = torch.isin(ids, torch.tensor(list(special_ids)))
    words = torch.tensor([i for i in range(vocab_size) if i not in set(special_ids)])
    inputs, labels = ids.clone(), torch.full_like(ids, -100)
    for row in range(ids.shape[0]):
        eligible = (~special[row]).nonzero().squeeze(1)
        n = len(eligible)
        k = {"tokens": math.ceil(mask_ratio * n), "all": math.ceil(mask_ratio * ids.shape[1]),
             "round": round(mask_ratio * n)}.get(budget, math.ceil(mask_ratio * n))
        taken = torch.zeros(ids.shape[1], dtype=torch.bool)
        spans, count = [], 0
        while (len(spans) if budget == "spans" else count) < k and count < n:
            length = 1 if per_token_select else int(span_lengths(1, p=p, max_len=max_len, generator=generator))
            start = int(eligible[torch.randint(n, (1,), generator=generator)])
            if taken[start]:
                continue
            end = start
            while end < start + length and end < ids.shape[1] and not special[row, end] \
                    and not taken[end] and (count < k or not cut or budget == "spans"):
                taken[end] = True
                end, count = end + 1, count + 1
            spans.append((start, end))
        for s, e in spans:
            labels[row, s:e] = ids[row, s:e]
            draws = torch.rand(e - s if per_token_replace else 1, generator=generator)
            for j, pos in enumerate(range(s, e)):
                u = float(draws[j if per_token_replace else 0])
                if u < mask_replace_prob:
                    inputs[row, pos] = mask_token_id
                elif u < mask_replace_prob + random_replace_prob:
                    inputs[row, pos] = words[torch.randint(len(words), (1,), generator=generator)]
    if label == "corrupted":
        labels = torch.where(labels != -100, inputs, labels)
    return inputs, labels


def _m(mid):
    return mistake(mid, SPAN_MASKING_HINTS[mid])


@_m("budget_counted_in_spans")
def spans_count_spans(input_ids, **kw):
    return _spans(input_ids, **kw, budget="spans")


@_m("budget_over_all_positions")
def spans_budget_all(input_ids, **kw):
    return _spans(input_ids, **kw, budget="all")


@_m("budget_not_rounded_up")
def spans_budget_round(input_ids, **kw):
    return _spans(input_ids, **kw, budget="round")


@_m("budget_overshoots")
def spans_overshoot(input_ids, **kw):
    return _spans(input_ids, **kw, cut=False)


@_m("tokens_not_spans")
def spans_single_tokens(input_ids, **kw):
    return _spans(input_ids, **kw, per_token_select=True)


@_m("replacement_per_token")
def spans_replace_per_token(input_ids, **kw):
    return _spans(input_ids, **kw, per_token_replace=True)


@_m("no_random_or_keep")
def spans_all_mask(input_ids, **kw):
    kw.update(mask_replace_prob=1.0, random_replace_prob=0.0)
    return _spans(input_ids, **kw)


@_m("hardcoded_probabilities")
def spans_hardcoded(input_ids, **kw):
    kw.update(mask_replace_prob=0.8, random_replace_prob=0.1)
    return _spans(input_ids, **kw)


@_m("labels_hold_corrupted")
def spans_labels_corrupted(input_ids, **kw):
    return _spans(input_ids, **kw, label="corrupted")


@_m("selects_special_tokens")
def spans_over_specials(input_ids, **kw):
    kw["special_ids"] = [0]
    return _spans(input_ids, **kw)


@_m("hardcoded_token_ids")
def spans_course_ids(input_ids, **kw):
    kw.update(mask_token_id=4, special_ids=list(range(15)), vocab_size=60)
    return _spans(input_ids, **kw)


@_m("ignores_generator")
def spans_global(input_ids, **kw):
    kw["generator"] = None
    return _spans(input_ids, **kw)


@_m("mutates_input")
def spans_in_place(input_ids, **kw):
    inputs, labels = _spans(input_ids, **kw)
    input_ids.copy_(inputs)
    return input_ids, labels


REQUIREMENTS = (
    Requirement("exactly ceil(mask_ratio * n) of a row's n ordinary tokens are selected",
                broken_by=("budget_counted_in_spans", "budget_over_all_positions", "budget_not_rounded_up",
                           "budget_overshoots")),
    Requirement("tokens are selected in spans of consecutive tokens", broken_by=("tokens_not_spans",)),
    Requirement("the 80/10/10 choice is made once per span, with the given probabilities",
                broken_by=("replacement_per_token", "no_random_or_keep", "hardcoded_probabilities")),
    Requirement("labels hold the original id at selected positions, specials are never selected",
                broken_by=("labels_hold_corrupted", "selects_special_tokens")),
    Requirement("draws come from the generator; input_ids is not modified",
                broken_by=("ignores_generator", "mutates_input")),
    Requirement("the ids come from the arguments (mask_token_id, special_ids, vocab_size)",
                broken_by=("hardcoded_token_ids",)),
)

ENTRY = Entry(f"{ID}/span_masking", span_masking, (
    spans_count_spans, spans_budget_all, spans_budget_round, spans_overshoot, spans_single_tokens,
    spans_replace_per_token, spans_all_mask, spans_hardcoded, spans_labels_corrupted, spans_over_specials,
    spans_course_ids, spans_global, spans_in_place), points=3, requirements=REQUIREMENTS)
