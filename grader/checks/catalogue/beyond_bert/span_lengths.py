"""Lesson 11's ``span_lengths`` entry (reference ``reference.beyond_bert.span_lengths``).

Each mistake draws lengths another way; the harness names it by what it measures, with the
hints it ships (``SPAN_LENGTHS_HINTS``), so every mistake here uses exactly that text.
"""

from __future__ import annotations

import torch

from grader.labkit.exercises.beyond_bert.span_lengths import SPAN_LENGTHS_HINTS
from reference.beyond_bert import span_lengths

from .. import Entry, Requirement, mistake
from ._common import ID


def _probs(p, max_len):
    w = p * (1 - p) ** torch.arange(max_len, dtype=torch.float64)
    return w / w.sum()


def _m(mid):
    return mistake(mid, SPAN_LENGTHS_HINTS[mid])


@_m("counts_from_zero")
def lengths_from_zero(n, *, p=0.2, max_len=10, generator=None):
    return torch.multinomial(_probs(p, max_len), n, replacement=True, generator=generator)


@_m("not_clipped")
def lengths_unclipped(n, *, p=0.2, max_len=10, generator=None):
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    return (torch.log1p(-u) / torch.log1p(torch.tensor(-p))).floor().long() + 1


@_m("clamped_not_renormalised")
def lengths_clamped(n, *, p=0.2, max_len=10, generator=None):
    return lengths_unclipped(n, p=p, max_len=10_000, generator=generator).clamp(max=max_len)


@_m("p_is_stop_probability")
def lengths_p_continue(n, *, p=0.2, max_len=10, generator=None):
    return torch.multinomial(_probs(1 - p, max_len), n, replacement=True, generator=generator) + 1


@_m("hardcoded_parameters")
def lengths_hardcoded(n, *, p=0.2, max_len=10, generator=None):
    return torch.multinomial(_probs(0.2, 10), n, replacement=True, generator=generator) + 1


@_m("wrong_length_distribution")
def lengths_uniform(n, *, p=0.2, max_len=10, generator=None):
    return torch.randint(1, max_len + 1, (n,), generator=generator)


@_m("ignores_generator")
def lengths_global(n, *, p=0.2, max_len=10, generator=None):
    return torch.multinomial(_probs(p, max_len), n, replacement=True) + 1


@_m("fixed_internal_seed")
def lengths_fixed(n, *, p=0.2, max_len=10, generator=None):
    return span_lengths(n, p=p, max_len=max_len, generator=torch.Generator().manual_seed(0))


@_m("wrong_dtype")
def lengths_float(n, *, p=0.2, max_len=10, generator=None):
    return torch.multinomial(_probs(p, max_len), n, replacement=True, generator=generator).int() + 1


REQUIREMENTS = (
    Requirement("every length is in 1..max_len", broken_by=("counts_from_zero", "not_clipped")),
    Requirement("P(l) is proportional to p (1 - p)^(l - 1) over 1..max_len, renormalised",
                broken_by=("clamped_not_renormalised", "p_is_stop_probability", "hardcoded_parameters",
                           "wrong_length_distribution")),
    Requirement("every draw comes from the generator passed in",
                broken_by=("ignores_generator", "fixed_internal_seed")),
    Requirement("the lengths are an (n,) torch.long tensor", broken_by=("wrong_dtype",)),
)

ENTRY = Entry(f"{ID}/span_lengths", span_lengths, (
    lengths_from_zero, lengths_unclipped, lengths_clamped, lengths_p_continue, lengths_hardcoded,
    lengths_uniform, lengths_global, lengths_fixed, lengths_float), points=2, requirements=REQUIREMENTS)
