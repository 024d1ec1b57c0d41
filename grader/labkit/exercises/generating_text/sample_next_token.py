"""Lesson 09's ``sample_next_token`` harness: temperature, then top-k, then top-p, then one
draw per row from what is left, with the generator given.

Sampling is random, so this harness overrides :meth:`Harness.judge` and never compares
draws one by one with the reference's. Each case repeats a few rows of logits N times and
calls the candidate three times: twice on the whole batch with generators seeded alike
(after reseeding torch's global generator differently: the draws must still agree) and
once on its first ``N_OTHER`` rows with another seed (the draws must differ from the first
call's on those rows). The verdict comes from:

* exact invariants: the same seed gives the same draws, another seed other draws, ids are
  a ``(B,)`` integer tensor in [0, V);
* support: a token the filters remove is never drawn. The cases keep every token that
  survives the filters at probability >= 0.009 (logits in [-0.6, 0.6], V <= 10, T >= 0.5),
  so in N = 4000 draws the reference draws each of them (it misses one with probability
  below 1e-15); a token the candidate drew but the reference never did is a removed token;
* frequencies: per row and token, the candidate's count and the reference's count differ
  by at most ``Z_BOUND`` standard errors of the difference of two binomials (plus one);
* rival hypotheses: a failure whose counts pass the same tests against a catalogued
  mistake's counts is named as that mistake.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, Mistake, Verdict, error_verdict
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, P_MARGIN, _pick

#: Draws per row of logits in each call.
N_DRAWS = 4_000
#: Rows of the call with another seed: its draws must differ from the first call's.
N_OTHER = 1_000
#: Bounds of the frequency checks, in standard errors.
Z_BOUND = 5.0

SAMPLE_HINTS = {
    "ignores_generator": "draw with the generator you are given (torch.multinomial(probs, 1, "
    "generator=generator)): the same seed must give the same tokens whatever torch's global "
    "random state is.",
    "fixed_seed": "different generators must give different draws: use the generator passed "
    "in, as it is; do not create or re-seed one inside the function.",
}


def _nucleus_size(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Per row: how many of the most probable tokens it takes to reach p."""
    totals = torch.softmax(logits, -1).sort(-1, descending=True).values.cumsum(-1)
    return (totals < p).sum(-1) + 1


def _draw_logits(gen: torch.Generator, r: int, v: int, temperature: float, p: float
                 ) -> torch.Tensor:
    """Logits in [-0.6, 0.6] whose tempered nucleus edge is far from p and differs from the
    untempered one (so applying top-p before the temperature shows)."""
    while True:
        logits = torch.rand(r, v, generator=gen, dtype=torch.float64) * 1.2 - 0.6
        tempered = logits / temperature
        totals = torch.softmax(tempered, -1).sort(-1, descending=True).values.cumsum(-1)
        if p == 1.0 or (bool(((totals - p).abs() > P_MARGIN).all())
                        and not torch.equal(_nucleus_size(tempered, p), _nucleus_size(logits, p))):
            return logits


@register
class SampleNextTokenHarness(Harness):
    lesson = LESSON
    name = "sample_next_token"
    title = "temperature, top-k, top-p, then one seeded draw per row"
    hints = SAMPLE_HINTS

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        r, v = 2, (_pick(gen, 7, 10) if hidden else 8)
        k = _pick(gen, 3, 5)
        plans = [("temperature 0.5", 0.5, 0, 1.0), (f"top-k {k}", 1.0, k, 1.0),
                 ("temperature 2 then top-p 0.6", 2.0, 0, 0.6),
                 (f"temperature 0.7, top-k {v - 2}, top-p 0.8", 0.7, v - 2, 0.8)]
        out = []
        for name, temperature, top_k, top_p in plans:
            logits = _draw_logits(gen, r, v, temperature, top_p)
            seeds = [int(s) for s in torch.randint(0, 2**31, (2,), generator=gen)]
            describe = (f"{name}: logits {(r, v)} each repeated {N_DRAWS} times (a batch of "
                        f"{r * N_DRAWS} rows), temperature={temperature}, top_k={top_k}, "
                        f"top_p={top_p}")
            out.append(Case(name, describe, {"logits": logits},
                            {"temperature": temperature, "top_k": top_k, "top_p": top_p,
                             "seeds": seeds}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        logits = inputs["logits"]
        r, v = logits.shape
        batch = logits.repeat(N_DRAWS, 1)  # (N * R, V): row i holds logits[i % R]
        kw = {k: case.args[k] for k in ("temperature", "top_k", "top_p")}
        seed, other = case.args["seeds"]
        draws = []
        # The other seed's call only needs enough rows to differ: the first N_OTHER of the batch.
        for global_seed, s, rows in ((1, seed, batch), (2, seed, batch), (1, other, batch[:N_OTHER])):
            torch.manual_seed(global_seed)
            ids = candidate(rows, **kw, generator=torch.Generator().manual_seed(s))
            if type(ids) is not torch.Tensor or ids.shape != (rows.size(0),) \
                    or ids.is_floating_point() or ids.dtype == torch.bool:
                raise TypeError(f"expected a ({rows.size(0)},) integer tensor of token ids, one "
                                f"per row, got {getattr(ids, 'dtype', type(ids).__name__)} "
                                f"{tuple(getattr(ids, 'shape', ()))}")
            if bool((ids < 0).any()) or bool((ids >= v).any()):
                raise ValueError(f"expected token ids in [0, {v}), got ids from "
                                 f"{int(ids.min())} to {int(ids.max())}")
            draws.append(ids.long())
        counts = torch.zeros(r, v, dtype=torch.long)
        counts.index_put_((torch.arange(r * N_DRAWS) % r, draws[0]),
                          torch.ones(r * N_DRAWS, dtype=torch.long), accumulate=True)
        return {"counts": counts, "same_seed": torch.tensor(torch.equal(draws[0], draws[1])),
                "other_seed": torch.tensor(not torch.equal(draws[0][:N_OTHER], draws[2]))}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"{self.name} on {where} ({case.describe})"
        if ERROR_KEY in got:
            return error_verdict(str(got[ERROR_KEY]), context, mistakes)

        def fail(layer: str, text: str, mid: str | None) -> Verdict:
            hint = next((m.hint for m in mistakes if m.id == mid), None) or self.hints.get(mid or "")
            lines = [f"FAILED ({layer}) {context}", text] + ([f"Hint: {hint}"] if hint else [])
            return Verdict(False, "\n".join(lines), mid, layer)

        counts = got.get("counts")
        if type(counts) is not torch.Tensor or counts.shape != expected["counts"].shape:
            return fail("type", "the record of the draws is incomplete", None)
        if not bool(got.get("same_seed")):
            return fail("property", "two calls with generators seeded alike drew different "
                        "tokens (torch's global generator had been seeded differently)",
                        "ignores_generator")
        problem = _disagreement(counts, expected["counts"])
        if problem:
            return fail("values", problem, self._rival(counts, mistakes))
        if not bool(got.get("other_seed")):
            return fail("property", "generators with different seeds drew exactly the same "
                        "tokens", "fixed_seed")
        return Verdict(True, f"passed: {context}")

    @staticmethod
    def _rival(counts: torch.Tensor, mistakes: list[Mistake]) -> str | None:
        """The first catalogued mistake whose own counts this draw agrees with."""
        for m in mistakes:
            theirs = m.outputs.get("counts")
            if ERROR_KEY not in m.outputs and bool(m.outputs.get("same_seed", False)) \
                    and type(theirs) is torch.Tensor and theirs.shape == counts.shape \
                    and not _disagreement(counts, theirs):
                return m.id
        return None


def _disagreement(got: torch.Tensor, want: torch.Tensor) -> str | None:
    """Why the counts ``got`` cannot come from the distribution that gave ``want`` (both
    ``(R, V)`` over ``N_DRAWS`` draws a row), or None."""
    removed = (got > 0) & (want == 0)
    if bool(removed.any()):
        row, tok = (int(i) for i in removed.nonzero()[0])
        return (f"token {tok} of row {row} was drawn {int(got[row, tok])} times, but the filters "
                f"remove it (it must never be drawn)")
    pooled = (got + want).double() / (2 * N_DRAWS)
    bound = Z_BOUND * (2 * N_DRAWS * pooled * (1 - pooled)).sqrt() + 1
    gap = (got - want).double().abs()
    if bool((gap > bound).any()):
        row, tok = divmod(int((gap - bound).argmax()), gap.size(1))
        return (f"token {tok} of row {row}: drawn with frequency {float(got[row, tok]) / N_DRAWS:.4f}, "
                f"expected {float(want[row, tok]) / N_DRAWS:.4f} (+/- "
                f"{float(bound[row, tok]) / N_DRAWS:.4f}, {Z_BOUND:g} standard errors)")
    return None
