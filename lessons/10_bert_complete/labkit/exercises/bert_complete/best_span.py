"""Lesson 10's ``best_span`` harness: decode the answer span of highest start + end score,
with end >= start, at most ``max_answer_len`` tokens, both ends in the paragraph (Google's
``run_squad.py``, ``get_final_text``'s caller).

Each case has rows built to tempt one shortcut: the best start after the best end, the
best pair one token too long or far too long, the best pair in the question (where
``context_mask`` is False); the last rows are plain random.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Mistake, Verdict
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, judge_values, pick, randn

BIG = 6.0


def _rows(gen: torch.Generator, t: int, question: int, max_len: int) -> tuple[torch.Tensor, ...]:
    """Six rows (start, end logits (6, T), context mask (6, T)), one tempting shortcut each."""
    start, end = randn(gen, 6, t), randn(gen, 6, t)
    ctx = torch.zeros(6, t, dtype=torch.bool)
    ctx[:, question:] = True
    ctx[4, t - 2:] = False  # row 4 ends with padding
    p = question + pick(gen, 0, 1)
    # row 0: the best end lies before the best start
    end[0, p] += BIG
    start[0, p + pick(gen, 2, 3)] += BIG
    # row 1: the best pair is far too long
    start[1, p] += BIG
    end[1, p + max_len + pick(gen, 1, 2)] += BIG
    # row 2: the best pair is one token too long (max_len + 1 tokens)
    start[2, p + 1] += BIG
    end[2, p + 1 + max_len] += BIG
    # row 3: the best pair lies in the question
    q = pick(gen, 0, question - 2)
    start[3, q] += BIG
    end[3, q + 1] += BIG
    # row 4: the best pair starts in the padding
    start[4, t - 2] += BIG
    end[4, t - 1] += BIG
    return start, end, ctx


@register
class BestSpanHarness(Harness):
    """``best_span(start_logits (B, T), end_logits (B, T), context_mask (B, T) bool,
    max_answer_len) -> (starts (B,), ends (B,))`` torch.long."""

    lesson = LESSON
    name = "best_span"
    title = "the best valid answer span"

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        sizes = [(pick(gen, 14, 17), pick(gen, 3, 4), pick(gen, 2, 4)),
                 (pick(gen, 14, 16), pick(gen, 3, 5), pick(gen, 2, 3))] if hidden else [(14, 4, 3), (16, 5, 4)]
        out = []
        for i, (t, question, max_len) in enumerate(sizes):
            start, end, ctx = _rows(gen, t, question, max_len)
            name = f"{i + 1}: {t} positions, max_answer_len {max_len}"
            describe = (f"{name}: start_logits and end_logits (6, {t}); context_mask (6, {t}) False on the "
                        f"{question} question positions (and row 4's last two, padding)")
            out.append(Case(name, describe, {"start_logits": start, "end_logits": end, "context_mask": ctx},
                            {"max_answer_len": max_len}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        result = candidate(inputs["start_logits"], inputs["end_logits"], inputs["context_mask"],
                           case.args["max_answer_len"])
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError(f"expected a tuple (starts, ends), got {type(result).__name__}")
        return {"starts": result[0], "ends": result[1]}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        return judge_values(self.name, got, expected, mistakes, case, hidden=hidden, tol=self.tolerance)
