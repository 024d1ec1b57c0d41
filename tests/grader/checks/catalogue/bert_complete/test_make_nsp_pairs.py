"""Lesson 10, ``make_nsp_pairs``: the statistical judge holds its error rates."""

from __future__ import annotations

import torch

import grader
from grader.checks.registry import get
from grader.labkit.exercises.bert_complete.make_nsp_pairs import documents_of

from ._bank import nsp_loop, xid


def test_correct_pairs_pass_on_many_seeds():
    """A correct builder passes the hidden cases of 40 seeds: the 5-standard-error bounds
    leave no room for a false alarm in practice."""
    for seed in range(40):
        result = grader.check(xid("make_nsp_pairs"), nsp_loop, hidden=True, seed=seed)
        assert result.passed, (seed, result.feedback)


def test_sentences_of_the_cases_are_distinct():
    """The judge tells which sentence a B is by its ids, so no two sentences of a case agree."""
    ex = get(xid("make_nsp_pairs"))
    for case in ex.harness.cases(torch.Generator().manual_seed(5), hidden=True):
        sentences = [tuple(s) for doc in documents_of(case.inputs) for s in doc]
        assert len(sentences) == len(set(sentences))


def test_a_fixed_alternation_is_caught_only_by_what_it_breaks():
    """A builder that alternates IsNext and NotNext has the right rate and structure; it is
    still deterministic per seed only through its NotNext draws, and passes: the judge states
    invariants and rates, not a particular sequence of draws."""

    def alternate(documents, *, generator=None):
        pairs = []
        for d, doc in enumerate(documents):
            for i in range(len(doc) - 1):
                if (i + d) % 2 == 0:
                    pairs.append((doc[i], doc[i + 1], 0))
                else:
                    o = (d + 1 + int(torch.randint(len(documents) - 1, (), generator=generator))) % len(documents)
                    pairs.append((doc[i], documents[o][0], 1))
        return pairs

    result = grader.check(xid("make_nsp_pairs"), alternate, hidden=True, seed=3)
    assert result.passed, result.feedback
