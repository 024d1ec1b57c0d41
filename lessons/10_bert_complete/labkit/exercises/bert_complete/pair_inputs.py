"""Lesson 10's ``pair_inputs`` harness: ``[CLS] A [SEP] B [SEP]``, its token-type ids and
longest-first truncation (Devlin et al. 2019, sec. 3; Google's ``_truncate_seq_pair``).

Cases: a pair that fits; A much longer than B (only A is cut); B longer, then both cut in
turn with an odd number left to remove (so the tie rule, B first, shows); equal lengths.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Mistake, Verdict
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, judge_values, pick, words


def _pair_case(gen: torch.Generator, name: str, len_a: int, len_b: int, max_len: int) -> Case:
    a, b = words(gen, len_a), words(gen, len_b)
    describe = (f"{name}: tokens_a ({len_a},), tokens_b ({len_b},), max_len {max_len} "
                f"(room for {max_len - 3} tokens besides [CLS] and the two [SEP])")
    return Case(name, describe, {"tokens_a": a, "tokens_b": b}, {"max_len": max_len})


@register
class PairInputsHarness(Harness):
    """``pair_inputs(tokens_a (La,), tokens_b (Lb,), max_len) -> (input_ids (L,),
    token_type_ids (L,))``, both torch.long, ``L <= max_len``."""

    lesson = LESSON
    name = "pair_inputs"
    title = "[CLS] A [SEP] B [SEP], token types and truncation"

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        if hidden:
            short = pick(gen, 2, 5)
            la = pick(gen, 9, 14)
            lb = pick(gen, 2, 4)
            m = la + lb + 3 - pick(gen, 3, 5)
            x = pick(gen, 4, 6)
            y = x + pick(gen, 3, 5)
            eq = pick(gen, 6, 9)
            return [_pair_case(gen, "1: fits", short, short + 1, 2 * short + 8),
                    _pair_case(gen, "2: A longer, only A is cut", la, lb, m),
                    _pair_case(gen, "3: B longer, both cut", x, y, 2 * x),
                    _pair_case(gen, "4: equal lengths", eq, eq, 2 * eq - 2)]
        return [_pair_case(gen, "1: fits", 4, 3, 16),
                _pair_case(gen, "2: A longer, only A is cut", 12, 4, 14),
                _pair_case(gen, "3: B longer, both cut", 6, 9, 12),
                _pair_case(gen, "4: equal lengths", 7, 7, 12)]

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        result = candidate(inputs["tokens_a"], inputs["tokens_b"], case.args["max_len"])
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError(f"expected a tuple (input_ids, token_type_ids), got {type(result).__name__}")
        return {"input_ids": result[0], "token_type_ids": result[1]}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        return judge_values(self.name, got, expected, mistakes, case, hidden=hidden, tol=self.tolerance,
                            properties=lambda g: self.all_properties(g, case), hints=self.hints)
