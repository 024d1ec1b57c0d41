"""Lesson 09: every bank of correct alternatives passes, visible and hidden, with no
mistake named (the attention written with einsum, torch's SDPA, one position at a time;
top-k by sort or kthvalue; top-p pairwise, sorted, by rows or ascending; sampling by
multinomial, inverse CDF or Gumbel-max; beam search with topk or Python lists; perplexity
by cross_entropy, where or one-hot; BLEU with dicts or torch), and right answers pass in
any form."""

from __future__ import annotations

import pytest

from .. import _shared as shared
from ._bank import BANK, modes, xid

PARAMS = [pytest.param(name, cand, id=f"{name}-{shared.name_of(cand)}")
          for name, cands in BANK.items() for cand in cands]


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("name, candidate", PARAMS)
def test_correct_alternative_passes(name, candidate, hidden, seed):
    """A correct alternative (or a right answer in another form) passes with no mistake named."""
    shared.assert_passes(xid(name), candidate, hidden, seed)
