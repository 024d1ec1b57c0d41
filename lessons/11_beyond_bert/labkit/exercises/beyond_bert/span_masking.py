"""Lesson 11's ``span_masking`` harness (SpanBERT: spans until ceil(mask_ratio * n) ordinary
tokens of each row are selected, 80/10/10 decided once per span; Joshi et al. 2020, sec. 3.1).

Randomised: :meth:`judge` checks the exact invariants of every call (``_masking``), the
budget in tokens of every row exactly on the statistics cases (rows of 38 to 62 ordinary
tokens, where the rival budgets differ), and there three measures, with bounds set from
measurement (40 hidden seeds of each statistics case, the reference against the rivals;
``test_statistics.py`` of the lesson's tests keeps the margins):

* the mean length of the runs of selected tokens: spans give 2.6 to 3.8 (runs are cut by
  the budget and the row's end, and merge when spans touch); tokens selected one by one
  give 1.1 to 1.5. Below 2.0 names ``tokens_not_spans``;
* the share of runs of two or more tokens that mix [MASK] with other tokens: spans decided
  as a whole mix only where two spans touch, 1 to 18%; a choice per token mixes 44 to 83%.
  Above 30% names ``replacement_per_token``;
* the shares of [MASK], random and kept tokens, against the probabilities within 5
  standard errors counted in runs (a span's tokens share one draw), with a factor 1.5 for
  the spread of span lengths.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ...harness import Case
from .. import register
from ._common import (
    IGNORE_INDEX,
    LESSON,
    MASK_ID,
    SPECIAL_IDS,
    Z_BOUND,
    _seed,
)
from ._common import _pack as _pack_ids
from ._common import _sentences as _rows
from ._masking import (
    COMMON_HINTS,
    MaskingHarness,
    id_args,
    ids_of,
    other_rows,
    record_calls,
    shares,
)

SPAN_MASKING_HINTS: dict[str, str] = {**COMMON_HINTS,
    "budget_counted_in_spans": "the budget is counted in TOKENS: stop once ceil(mask_ratio * n) "
    "ordinary tokens are selected, not after ceil(mask_ratio * n) spans (a span holds 3.8 tokens "
    "on average).",
    "budget_over_all_positions": "count the budget over the row's ORDINARY tokens (n excludes "
    "[CLS], [SEP], [PAD] and the other special ids), not over every position.",
    "budget_not_rounded_up": "the budget is ceil(mask_ratio * n): round up, so that a short row "
    "still gets a span.",
    "budget_overshoots": "a span stops as soon as the budget is reached: cut the last span short "
    "so that exactly ceil(mask_ratio * n) tokens are selected.",
    "wrong_budget": "select exactly ceil(mask_ratio * n) tokens in each row, n being the number of "
    "its ordinary (non-special) tokens.",
    "tokens_not_spans": "select SPANS of consecutive tokens, each of a length drawn by span_lengths, "
    "not tokens one by one.",
    "replacement_per_token": "decide [MASK] / random / keep once per SPAN (one draw per span): the "
    "whole span becomes [MASK], or random ids, or stays as it is.",
    "no_random_or_keep": "only mask_replace_prob (80%) of the spans become [MASK]; "
    "random_replace_prob (10%) get random ids and the rest stay unchanged.",
    "hardcoded_probabilities": "use the arguments mask_ratio, mask_replace_prob and "
    "random_replace_prob instead of fixed numbers.",
    "wrong_replacement_split": "of the spans, mask_replace_prob become [MASK], random_replace_prob "
    "random ids, and the rest stay unchanged.",
}
#: Measured bounds (see the module docstring).
MIN_MEAN_RUN, MAX_MIXED_SHARE, DESIGN_FACTOR = 2.0, 0.3, 1.5


def _runs(selected: torch.Tensor) -> list[tuple[int, int, int]]:
    """Maximal runs ``(row, start, end)`` of True in a ``(B, T)`` bool tensor."""
    out = []
    padded = torch.nn.functional.pad(selected.int(), (1, 1))  # (B, T + 2)
    edges = padded[:, 1:] - padded[:, :-1]  # (B, T + 1): +1 at a start, -1 after an end
    for row in range(selected.shape[0]):
        starts = (edges[row] == 1).nonzero().squeeze(1).tolist()
        ends = (edges[row] == -1).nonzero().squeeze(1).tolist()
        out += [(row, s, e) for s, e in zip(starts, ends, strict=True)]
    return out


@register
class SpanMaskingHarness(MaskingHarness):
    """``span_masking(input_ids, *, mask_token_id, vocab_size, special_ids, mask_ratio, p, max_len,
    mask_replace_prob, random_replace_prob, generator) -> (inputs, labels)``."""

    lesson = LESSON
    name = "span_masking"
    title = "SpanBERT masking: spans until 15% of the tokens, 80/10/10 per span"
    hints = SPAN_MASKING_HINTS

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        def case(name: str, ids: torch.Tensor, calls: tuple[str, ...], *, stats: bool,
                 probs: tuple[float, float, float] = (0.15, 0.8, 0.1), other_ids: bool = False) -> Case:
            first, other = _seed(gen), _seed(gen)
            seeds = {"first": first, "again": first, "other": other}
            r, pm, pr = probs
            args = {"probs": list(probs), "stats": stats, "calls": {c: seeds[c] for c in calls},
                    "other_ids": other_ids}
            return Case(name, f"{name}: input_ids {tuple(ids.shape)}, {id_args(Case('', '', {}, args))}, "
                        f"mask_ratio {r}, p 0.2, max_len 10, mask_replace_prob {pm}, random_replace_prob "
                        f"{pr}", {"input_ids": _pack_ids(ids)}, args)

        rows = 96 if hidden else 80
        return [
            case("small batch", _rows(gen, 4 if hidden else 3, 14, 60, 5), ("first", "again"), stats=False),
            case("same seed twice, another seed once", _rows(gen, 8, 40, 60, 10),
                 ("first", "again", "other"), stats=False),
            case("statistics, default probabilities", _rows(gen, rows, 64, 60, 40), ("first",), stats=True),
            case("statistics, other probabilities", _rows(gen, 64, 64, 60, 40), ("first",), stats=True,
                 probs=(0.3, 0.5, 0.3)),
            # Another tokenizer's ids (BERT's uncased layout), so that fixed ids in the code show.
            case("another tokenizer's special ids", other_rows(gen, 32, 24), ("first",), stats=False,
                 other_ids=True),
        ]

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        r, pm, pr = case.args["probs"]

        mask_id, specials, vocab = ids_of(case)

        def call(fn: Any, ids: torch.Tensor, generator: torch.Generator) -> Any:
            return fn(ids, mask_token_id=mask_id, vocab_size=vocab, special_ids=list(specials),
                      mask_ratio=r, p=0.2, max_len=10, mask_replace_prob=pm, random_replace_prob=pr,
                      generator=generator)

        return record_calls(candidate, inputs["input_ids"].long(), case, call)

    def checks(self, x: torch.Tensor, y: torch.Tensor, labels: torch.Tensor, case: Case
               ) -> tuple[str, str, str] | None:
        if not case.args["stats"]:
            return None
        return self._budget(x, labels, case) or self._statistics(x, y, labels, case)

    @staticmethod
    def _budget(x: torch.Tensor, labels: torch.Tensor, case: Case) -> tuple[str, str, str] | None:
        """The budget of every row, on the statistics cases (rows of 38 to 62 ordinary tokens,
        where the rival budgets differ from ceil(mask_ratio * n) and from each other)."""
        ratio = case.args["probs"][0]
        n = (~torch.isin(x, torch.tensor(SPECIAL_IDS))).sum(1).tolist()  # ordinary tokens per row
        real = (x != 0).sum(1).tolist()
        count = (labels != IGNORE_INDEX).sum(1).tolist()
        want = [math.ceil(ratio * k) for k in n]
        if count == want:
            return None
        row = next(i for i, (c, w) in enumerate(zip(count, want, strict=True)) if c != w)
        msg = (f"row {row} has {n[row]} ordinary tokens, so ceil({ratio} x {n[row]}) = {want[row]} should "
               f"be selected; {count[row]} were")
        rivals = [("budget_over_all_positions", [math.ceil(ratio * x.shape[1])] * len(n)),
                  ("budget_over_all_positions", [math.ceil(ratio * k) for k in real]),
                  ("budget_not_rounded_up", [round(ratio * k) for k in n]),
                  ("budget_not_rounded_up", [math.floor(ratio * k) for k in n])]
        if ratio != 0.15:
            rivals.append(("hardcoded_probabilities", [math.ceil(0.15 * k) for k in n]))
        mid = next((m for m, pred in rivals if pred != want and count == pred), None)
        if mid is None and sum(count) >= 2 * sum(want):
            mid = "budget_counted_in_spans"
        elif mid is None:
            mid = "budget_overshoots" if all(c >= w for c, w in zip(count, want, strict=True)) else "wrong_budget"
        return ("property", msg, mid)

    @staticmethod
    def _statistics(x: torch.Tensor, y: torch.Tensor, labels: torch.Tensor,
                    case: Case) -> tuple[str, str, str] | None:
        selected = labels != IGNORE_INDEX
        runs = _runs(selected)
        mean_run = sum(e - s for _, s, e in runs) / max(len(runs), 1)
        if mean_run < MIN_MEAN_RUN:
            return ("statistics", f"the selected tokens form {len(runs)} runs of mean length "
                    f"{mean_run:.2f}; spans of mean length 3.8 (cut by the budget) give runs of at "
                    f"least {MIN_MEAN_RUN}", "tokens_not_spans")
        long_runs = [(r, s, e) for r, s, e in runs if e - s >= 2]
        mixed = sum(1 for r, s, e in long_runs
                    if bool((y[r, s:e] == MASK_ID).any()) and not bool((y[r, s:e] == MASK_ID).all()))
        share = mixed / max(len(long_runs), 1)
        if share > MAX_MIXED_SHARE:
            return ("statistics", f"{mixed} of {len(long_runs)} runs of two or more selected tokens "
                    f"mix [MASK] with other tokens ({100 * share:.0f}%); a choice per span mixes "
                    f"them only where two spans touch (at most {100 * MAX_MIXED_SHARE:.0f}%)",
                    "replacement_per_token")
        _, pm, pr = case.args["probs"]
        got = shares(x, y, selected)
        want = (pm, pr * (1 - 1 / 45), 1 - pm - pr + pr / 45)

        def band(q: float) -> float:
            return Z_BOUND * math.sqrt(DESIGN_FACTOR * q * (1 - q) / len(runs)) + 0.01

        def fits(m: float, r: float) -> bool:
            e = (m, r * (1 - 1 / 45), 1 - m - r + r / 45)
            return all(abs(g - q) <= band(q) for g, q in zip(got, e, strict=True))

        if fits(pm, pr):
            return None
        rivals = [("no_random_or_keep", 1.0, 0.0), ("hardcoded_probabilities", 0.8, 0.1)]
        mid = next((m for m, a, b in rivals if (a, b) != (pm, pr) and fits(a, b)), "wrong_replacement_split")
        shown = ", ".join(f"{100 * q:.1f}% +/- {100 * band(q):.1f}%" for q in want)
        return ("statistics", f"of {int(selected.sum())} selected tokens: {100 * got[0]:.1f}% became "
                f"[MASK], {100 * got[1]:.1f}% another id, {100 * got[2]:.1f}% unchanged;\n  expected "
                f"{shown} (5 standard errors counted in runs)", mid)
