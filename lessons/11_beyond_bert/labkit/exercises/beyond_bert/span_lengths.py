"""Lesson 11's ``span_lengths`` harness: SpanBERT's span lengths, a geometric distribution
clipped at ``max_len`` (lengths 1..max_len, renormalised; mean 3.8 for p = 0.2, max_len = 10;
Joshi et al. 2020, sec. 3.1).

Randomised, so :meth:`judge` checks invariants (dtype, shape, seeds, the range 1..max_len)
and the histogram of many draws against the clipped geometric, each length's share within
5 standard errors; a histogram that fits a rival hypothesis instead (clamped at max_len,
counted from 0, p read as the probability to go on, the default parameters) names it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Mistake, Verdict
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, Z_BOUND, _describe, _is_int_tensor, _pack, _seed, random_verdict

SPAN_LENGTHS_HINTS: dict[str, str] = {
    "wrong_return_type": "return one torch.long tensor of n lengths.",
    "wrong_dtype": "span lengths are counts: return a torch.long (int64) tensor.",
    "wrong_shape": "return a 1-D tensor of n lengths, shape (n,).",
    "ignores_generator": "draw from the generator you are given (generator=generator); the global "
    "random state makes two calls with the same seed differ.",
    "fixed_internal_seed": "use the generator passed in; a generator of your own, seeded inside "
    "the function, gives the same lengths on every call.",
    "counts_from_zero": "a span has at least one token: lengths run from 1 to max_len. "
    "torch.distributions.Geometric counts the failures BEFORE the first success, from 0.",
    "not_clipped": "no span is longer than max_len: the distribution is clipped at max_len.",
    "clamped_not_renormalised": "clipping keeps the lengths 1..max_len with probabilities "
    "proportional to p (1 - p)^(l - 1), renormalised to sum to 1 (mean 3.8 for p = 0.2); "
    "clamping longer draws to max_len piles their probability onto max_len instead.",
    "p_is_stop_probability": "p is the probability that a span STOPS after each token: "
    "P(l) is proportional to p (1 - p)^(l - 1), so short spans are the most likely and the mean "
    "is about 1 / p (3.8 once clipped at 10), not 1 / (1 - p).",
    "hardcoded_parameters": "use the arguments p and max_len, not the default numbers.",
    "wrong_length_distribution": "P(l) is proportional to p (1 - p)^(l - 1) for l = 1..max_len, "
    "renormalised: draw from those probabilities (torch.multinomial) or draw a geometric length "
    "and redraw any above max_len.",
}


def _clipped(p: float, max_len: int) -> list[float]:
    w = [p * (1 - p) ** (k - 1) for k in range(1, max_len + 1)]
    return [x / sum(w) for x in w]


def _clamped(p: float, max_len: int) -> list[float]:
    return [p * (1 - p) ** (k - 1) for k in range(1, max_len)] + [(1 - p) ** (max_len - 1)]


@register
class SpanLengthsHarness(Harness):
    """``span_lengths(n, *, p, max_len, generator) -> (n,)`` long in 1..max_len."""

    lesson = LESSON
    name = "span_lengths"
    title = "span lengths from the geometric distribution clipped at max_len"
    hints = SPAN_LENGTHS_HINTS

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        def case(name: str, n: int, p: float, max_len: int, calls: tuple[str, ...], stats: bool) -> Case:
            first, other = _seed(gen), _seed(gen)
            seeds = {"first": first, "again": first, "other": other}
            return Case(name, f"{name}: n={n}, p={p}, max_len={max_len}", {},
                        {"n": n, "p": p, "max_len": max_len, "stats": stats,
                         "calls": {c: seeds[c] for c in calls}})

        other_p, other_max = ((0.3 + 0.05 * int(torch.randint(0, 3, (1,), generator=gen)), 6)
                              if hidden else (0.35, 6))
        return [
            case("same seed twice, another seed once", 50, 0.2, 10, ("first", "again", "other"), False),
            # 6,000 draws: each length's share is known to +/- 2.7% at worst (5 SE).
            case("statistics, p=0.2, max_len=10", 6000, 0.2, 10, ("first",), True),
            case("statistics, other p and max_len", 6000, other_p, other_max, ("first",), True),
        ]

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        out: dict[str, Any] = {}
        a = case.args
        for call, seed in a["calls"].items():
            value = candidate(a["n"], p=a["p"], max_len=a["max_len"],
                              generator=torch.Generator().manual_seed(seed))
            out[f"{call}:type"] = _describe(value)
            if _is_int_tensor(value):
                out[call] = _pack(value.detach().cpu())
        return out

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"span_lengths on {where} ({case.describe})"
        return random_verdict(None if "__error__" in got else self._problem(got, case), got, mistakes,
                              self.hints, context)

    def _problem(self, got: Mapping[str, Any], case: Case) -> tuple[str, str, str] | None:
        a = case.args
        outs = {}
        for call in a["calls"]:
            kind = got.get(f"{call}:type")
            if not isinstance(kind, str) or not kind.startswith("tensor of dtype"):
                return ("type", f"expected a torch.Tensor, got {kind}", "wrong_return_type")
            if kind != "tensor of dtype torch.int64":
                return ("type", f"expected dtype torch.int64, got {kind[len('tensor of dtype '):]}",
                        "wrong_dtype")
            value = got.get(call)
            if type(value) is not torch.Tensor:
                return ("type", "no integer values were recorded", "wrong_return_type")
            if tuple(value.shape) != (a["n"],):
                return ("shape", f"expected shape ({a['n']},), got {tuple(value.shape)}", "wrong_shape")
            outs[call] = value.long()
        if "again" in outs and not torch.equal(outs["first"], outs["again"]):
            return ("property", "two calls with generators seeded alike gave different lengths",
                    "ignores_generator")
        if "other" in outs and torch.equal(outs["first"], outs["other"]):
            return ("property", f"two different seeds gave the same {a['n']} lengths", "fixed_internal_seed")
        x = outs["first"]
        if a["stats"] and (a["p"], a["max_len"]) != (0.2, 10) and int(x.min()) >= 1 and int(x.max()) <= 10:
            freq = (torch.bincount(x, minlength=11)[1:11].double() / a["n"]).tolist()
            if all(abs(f - q) <= Z_BOUND * math.sqrt(q * (1 - q) / a["n"]) + 0.5 / a["n"]
                   for f, q in zip(freq, _clipped(0.2, 10), strict=True)):
                return ("statistics", f"with p={a['p']} and max_len={a['max_len']} the lengths follow "
                        "the clipped geometric of p=0.2 and max_len=10", "hardcoded_parameters")
        if int(x.min()) < 1:
            return ("property", f"a length of {int(x.min())} was drawn ({int((x < 1).sum())} of "
                    f"{a['n']}); lengths run from 1 to max_len={a['max_len']}", "counts_from_zero")
        if int(x.max()) > a["max_len"]:
            return ("property", f"a length of {int(x.max())} was drawn ({int((x > a['max_len']).sum())} "
                    f"of {a['n']}), above max_len={a['max_len']}", "not_clipped")
        return self._histogram(x, a) if a["stats"] else None

    @staticmethod
    def _histogram(x: torch.Tensor, a: Mapping[str, Any]) -> tuple[str, str, str] | None:
        n, p, top = a["n"], a["p"], a["max_len"]
        counts = torch.bincount(x, minlength=top + 1)[1:top + 1].double() / n
        freq = counts.tolist()

        def band(q: float) -> float:
            return Z_BOUND * math.sqrt(q * (1 - q) / n) + 0.5 / n

        def fits(probs: list[float]) -> bool:
            return all(abs(f - q) <= band(q) for f, q in zip(freq, probs, strict=True))

        want = _clipped(p, top)
        if fits(want):
            return None
        rivals = [("clamped_not_renormalised", _clamped(p, top)),
                  ("p_is_stop_probability", _clipped(1 - p, top))]
        mid = next((m for m, probs in rivals if fits(probs)), "wrong_length_distribution")
        worst = max(range(top), key=lambda k: abs(freq[k] - want[k]) / band(want[k]))
        mean = float(x.double().mean())
        exp_mean = sum((k + 1) * q for k, q in enumerate(want))
        return ("statistics", f"length {worst + 1} was drawn {100 * freq[worst]:.1f}% of the time; "
                f"expected {100 * want[worst]:.1f}% +/- {100 * band(want[worst]):.1f}% (5 standard "
                f"errors); mean length {mean:.2f}, expected {exp_mean:.2f}", mid)
