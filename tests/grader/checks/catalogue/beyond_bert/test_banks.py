"""Lesson 11: every bank of correct alternatives passes, visible and hidden, with no mistake
named; right answers to the questions pass whichever way they are written."""

from __future__ import annotations

import pytest

from .. import _shared as shared
from ._bank import BANK, modes, xid


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("name, candidate", [pytest.param(n, c, id=f"{n}-{shared.name_of(c)}")
                                             for n in BANK for c in BANK[n]])
def test_correct_alternative_passes(name, candidate, hidden, seed):
    """Span lengths by multinomial, rejection, inverse CDF or a loop; spans with redrawn or
    free starts; whole words by gather, loops or batch-wide ids; samples by multinomial,
    Gumbel-max or inverse CDF; each loss written several ways; letters in any case."""
    shared.assert_passes(xid(name), candidate, hidden, seed)
