"""Lesson 10's ``make_nsp_pairs``: the catalogued mistakes and the entry (reference
``reference.bert.make_nsp_pairs``). The harness names each mistake by what it measures,
with the hints it ships (``NSP_HINTS``); every mistake here uses exactly that text.

A builder that ignores the generator (torch's global state, Python's ``random``) is named
``ignores_generator`` by the harness alone, from two calls seeded alike that differ: such a
mistake cannot be catalogued, since its outputs, stored in the fixtures, would change from
one build to the next. The wrong-answer bank holds one.
"""

from __future__ import annotations

import torch

from grader.labkit.exercises.bert_complete.make_nsp_pairs import NSP_HINTS
from reference.bert import make_nsp_pairs

from .. import Entry, Requirement, mistake
from ._common import ID


def _pairs(documents, generator, *, p_next=0.5, other="others", labels=(0, 1), next_offset=1,
           use_last=False, fixed_seed=False):
    """A configurable pair builder; each mistake below turns one switch."""
    gen = torch.Generator().manual_seed(0) if fixed_seed else generator
    out = []
    for d, doc in enumerate(documents):
        for i in range(len(doc) - (0 if use_last else 1)):
            if float(torch.rand((), generator=gen)) < p_next and i + next_offset < len(doc):
                out.append((list(doc[i]), list(doc[i + next_offset]), labels[0]))
                continue
            if other == "any":
                o = int(torch.randint(len(documents), (), generator=gen))
            elif other == "neighbour":
                o = (d + 1) % len(documents)
            else:
                o = int(torch.randint(len(documents) - 1, (), generator=gen))
                o += int(o >= d)
            j = int(torch.randint(len(documents[o]), (), generator=gen))
            out.append((list(doc[i]), list(documents[o][j]), labels[1]))
    return out


def _hint(mid: str) -> str:
    return NSP_HINTS[mid]


@mistake("labels_flipped", _hint("labels_flipped"))
def nsp_labels_flipped(documents, *, generator=None):
    return _pairs(documents, generator, labels=(1, 0))


@mistake("random_from_same_document", _hint("random_from_same_document"))
def nsp_any_document(documents, *, generator=None):
    return _pairs(documents, generator, other="any")


@mistake("fixed_internal_seed", _hint("fixed_internal_seed"))
def nsp_fixed_seed(documents, *, generator=None):
    return _pairs(documents, generator, fixed_seed=True)


@mistake("wrong_next_rate", _hint("wrong_next_rate"))
def nsp_rate_15(documents, *, generator=None):
    return _pairs(documents, generator, p_next=0.15)


@mistake("wrong_next_rate", _hint("wrong_next_rate"))
def nsp_always_next(documents, *, generator=None):
    return _pairs(documents, generator, p_next=1.0)


@mistake("fixed_other_document", _hint("fixed_other_document"))
def nsp_neighbour(documents, *, generator=None):
    return _pairs(documents, generator, other="neighbour")


@mistake("wrong_pair_count", _hint("wrong_pair_count"))
def nsp_last_sentence_too(documents, *, generator=None):
    return _pairs(documents, generator, use_last=True)


@mistake("next_is_not_following", _hint("next_is_not_following"))
def nsp_skips_one(documents, *, generator=None):
    return _pairs(documents, generator, next_offset=2)


@mistake("wrong_return_type", _hint("wrong_return_type"))
def nsp_three_lists(documents, *, generator=None):
    pairs = _pairs(documents, generator)
    return [p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs]


MISTAKES = (nsp_labels_flipped, nsp_any_document, nsp_fixed_seed,
            nsp_rate_15, nsp_always_next, nsp_neighbour, nsp_last_sentence_too, nsp_skips_one,
            nsp_three_lists)

REQUIREMENTS = (
    Requirement("a list of (A, B, label) tuples", broken_by=("wrong_return_type",)),
    Requirement("one pair per sentence with a successor in its document, in order",
                broken_by=("wrong_pair_count",)),
    Requirement("label 0 = IsNext, 1 = NotNext", broken_by=("labels_flipped",)),
    Requirement("an IsNext B is the sentence right after A", broken_by=("next_is_not_following",)),
    Requirement("a NotNext B is a sentence of another document, drawn uniformly among the others",
                broken_by=("random_from_same_document", "fixed_other_document")),
    Requirement("each pair is IsNext with probability 1/2", broken_by=("wrong_next_rate",)),
    Requirement("every draw comes from the generator given (a seed repeats the pairs)",
                broken_by=("fixed_internal_seed",)),
)

ENTRY = Entry(f"{ID}/make_nsp_pairs", make_nsp_pairs, MISTAKES, points=2, requirements=REQUIREMENTS)
