"""``_Corruption``: the judge shared by lesson 06's six corruption harnesses.

The corruptions are randomised, so their harnesses override :meth:`Harness.judge`:
the verdict never compares with the reference's draws. It comes from

* seeded exact checks: the same generator seed gives the same output, other seeds
  give other outputs, the input tensor is never modified, and per call the invariants
  of the corruption hold (masking keeps the length and only writes [MASK]; deletion
  keeps a subsequence; infilling's kept tokens appear in order with a [MASK] wherever
  tokens went missing; permutation reorders whole sentences; rotation is a rotation;
  T5's inputs and targets rebuild the original with sentinels in order and a final
  one; a leading [CLS]/<s> run and a trailing [SEP]/</s> run never change);
* seeded large-sample statistics on many calls, with bounds stated beside each
  check (about 5 standard errors: a correct implementation fails one with
  probability below 1e-6).

Bodies are made of DISTINCT ordinary ids, so where every output token came from is
known. The statistical cases use body lengths for which ``ratio * n`` is a whole
number, so exact-count implementations (ceil, round or floor) and per-token
Bernoulli draws all have the same expected rate; correct alternatives that draw in
another order or another way pass (``tests/grader/checks/catalogue/denoising/`` holds the banks).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, Mistake, Verdict, error_verdict
from ...harness import MUTATED_KEY, Case, Harness
from ._common import (
    COMMON_HINTS,
    LEADING_IDS,
    LESSON,
    TRAILING_IDS,
    Z_BOUND,
    Problem,
    _describe_value,
    _pack,
    _pack_rows,
    _seeds,
    _show,
    _unpack_rows,
    _with_boundary,
    _words,
    split_boundary,
)


class _Corruption(Harness):
    """Shared machinery of the six corruption exercises.

    A case holds rows (1-D sequences, stored padded) and a list of calls ``[row, seed]``;
    ``same`` lists pairs of calls with the same row and seed (their outputs must be
    equal) and ``vary`` groups of calls with the same row and different seeds (their
    outputs must not all be equal). Outputs are recorded concatenated, with lengths.
    """

    lesson = LESSON
    outputs: tuple[str, ...] = ("out",)
    #: the exercise's hints on top of COMMON_HINTS (set by subclasses)
    own_hints: dict[str, str] = {}

    @property
    def hints(self) -> dict[str, str]:  # type: ignore[override]
        return {**COMMON_HINTS, **self.own_hints}

    # --- to implement -----------------------------------------------------------
    def call(self, candidate: Any, tokens: torch.Tensor, generator: torch.Generator,
             params: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def check_call(self, x: list[int], outs: tuple[list[int], ...],
                   params: Mapping[str, Any]) -> tuple[str, str] | None:
        """An invariant broken by one call, as (message, mistake id), or None."""
        return None

    def statistics(self, xs: list[list[int]], outs: list[tuple[list[int], ...]],
                   params: Mapping[str, Any]) -> Problem | None:
        return None

    @staticmethod
    def rounding_problem(bodies: list[int], changed: list[int], ratio: float, what: str,
                         mid: str) -> Problem | None:
        """On bodies where ``ratio * n`` is not whole, an exact-count answer must change
        ceil(ratio * n) tokens. One that changes floor(ratio * n) on every such call (a
        per-token draw would do so by chance with probability below 1e-12 on the rounding
        case's calls) rounds the count down."""
        rows = [(n, c) for n, c in zip(bodies, changed, strict=True)
                if not float(ratio * n).is_integer()]
        if rows and all(c == math.floor(ratio * n) for n, c in rows):
            n, c = rows[0]
            return ("statistics", f"on a body of {n} tokens with ratio {ratio}, {c} tokens were "
                    f"{what} on every call: {ratio} x {n} = {ratio * n:g} must be rounded up", mid)
        return None

    # --- cases --------------------------------------------------------------------
    def make_case(self, gen: torch.Generator, name: str, describe: str, rows: list[list[int]],
                  params: dict[str, Any], *, stats: bool, repeat: int = 1, vary: int = 0) -> Case:
        """Each row called ``repeat`` times with fresh seeds, row 0 once more with its first
        seed (determinism) and ``vary`` more times with other seeds (not a fixed output)."""
        calls = [[r, s] for r in range(len(rows)) for s in _seeds(gen, repeat)]
        same = [[0, len(calls)]]
        calls.append(list(calls[0]))
        group = [0] + list(range(len(calls), len(calls) + vary))
        calls += [[0, s] for s in _seeds(gen, vary)]
        args = {"calls": calls, "same": same, "vary": [group] if vary else [], "stats": stats,
                "params": params}
        return Case(name, describe, _pack_rows(rows), args)

    def rounding_case(self, gen: torch.Generator, ratio: float, params: dict[str, Any]) -> Case:
        """36 calls on bodies of 6 and 11 tokens, where ``ratio * n`` (2.4 and 4.4 at 0.4) is
        not whole: ceil, floor and round() give different counts there. Appended after the
        other cases, so theirs stay as they were."""
        rows = [_with_boundary(_words(gen, (6, 11)[i % 2]), ("cls", "none")[i // 2 % 2])
                for i in range(12)]
        return self.make_case(gen, "rounding", f"{3 * len(rows)} calls on bodies of 6 and 11 "
                              f"tokens (ratio x n not whole), ratio {ratio}", rows, params,
                              stats=True, repeat=3)

    # --- running --------------------------------------------------------------------
    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        rows = _unpack_rows(inputs["tokens"], inputs["lengths"])
        params = case.args["params"]
        out: dict[str, Any] = {}
        collected: dict[str, list[torch.Tensor]] = {k: [] for k in self.outputs}
        for index, (row, seed) in enumerate(case.args["calls"]):
            tokens = rows[row].clone()
            result = self.call(candidate, tokens, torch.Generator().manual_seed(seed), params)
            if not torch.equal(tokens, rows[row]):
                out[MUTATED_KEY] = "tokens"
            parts, problem = self._parts(result)
            if problem is not None:
                out["form"], out["form_id"] = f"call {index + 1}: {problem[0]}", problem[1]
                return out
            for key, value in zip(self.outputs, parts, strict=True):
                collected[key].append(value.detach().cpu())
        out["form"] = "ok"
        for key, values in collected.items():
            out[key] = _pack(torch.cat(values)) if values else torch.zeros(0, dtype=torch.int16)
            out[f"{key}:lengths"] = _pack(torch.tensor([len(v) for v in values], dtype=torch.long))
        return out

    def _parts(self, result: Any) -> tuple[list[torch.Tensor], tuple[str, str] | None]:
        if len(self.outputs) > 1:
            if not isinstance(result, (tuple, list)) or len(result) != len(self.outputs):
                return [], (f"expected a tuple ({', '.join(self.outputs)}), got "
                            f"{_describe_value(result)}", "wrong_return_type")
            values = list(result)
        else:
            values = [result]
        for key, value in zip(self.outputs, values, strict=True):
            if type(value) is not torch.Tensor:
                return [], (f"'{key}': expected a torch.Tensor, got {_describe_value(value)}",
                            "wrong_return_type")
            if value.dtype != torch.long:
                return [], (f"'{key}': expected dtype torch.int64, got {value.dtype}", "wrong_dtype")
            if value.dim() != 1:
                return [], (f"'{key}': expected a 1-D tensor, got shape {tuple(value.shape)}",
                            "wrong_shape")
        return values, None

    # --- judging --------------------------------------------------------------------
    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"{self.name} on {where} ({case.describe})"
        if ERROR_KEY in got:
            return error_verdict(str(got[ERROR_KEY]), context)
        found = self._problem(got, case, hidden)
        if found is None:
            return Verdict(True, f"passed: {context}")
        layer, message, mid = found
        hint = next((m.hint for m in mistakes if m.id == mid), None) or self.hints.get(mid, "")
        lines = [f"FAILED ({layer}) {context}", message] + ([f"Hint: {hint}"] if hint else [])
        return Verdict(False, "\n".join(lines), mid, layer)

    def _split_outputs(self, got: Mapping[str, Any], n_calls: int) -> list[tuple[list[int], ...]] | None:
        per_key = []
        for key in self.outputs:
            values, lengths = got.get(key), got.get(f"{key}:lengths")
            if type(values) is not torch.Tensor or type(lengths) is not torch.Tensor \
                    or lengths.numel() != n_calls or int(lengths.long().sum()) != values.numel() \
                    or values.dim() != 1 or (lengths < 0).any():
                return None
            per_key.append([v.tolist() for v in torch.split(values.long(), lengths.long().tolist())])
        return [tuple(k[i] for k in per_key) for i in range(n_calls)]

    def _problem(self, got: Mapping[str, Any], case: Case, hidden: bool) -> Problem | None:
        form = got.get("form")
        if form != "ok":
            mid = got.get("form_id") if isinstance(got.get("form_id"), str) else "wrong_return_type"
            return ("type", str(form) if isinstance(form, str) else "no outputs were recorded", mid)
        calls = case.args["calls"]
        outs = self._split_outputs(got, len(calls))
        if outs is None:
            return ("type", "the recorded outputs are not of the expected form", "wrong_return_type")
        if MUTATED_KEY in got:
            return ("property", "your function changed its input tensor in place", "mutates_input")
        for i, j in case.args["same"]:
            if outs[i] != outs[j]:
                return ("property", "two calls on the same tokens with generators seeded alike "
                        "gave different results", "ignores_generator")
        rows = _unpack_rows(case.inputs["tokens"], case.inputs["lengths"])
        xs = [rows[row].tolist() for row, _ in calls]
        params = case.args["params"]
        found_at = self._boundary_problem(xs, outs)
        if found_at is None:
            found_at = next(((i, p) for i, p in ((i, self.check_call(x, out, params))
                                                 for i, (x, out) in enumerate(zip(xs, outs, strict=True)))
                             if p is not None), None)
        if found_at is not None:
            index, (message, mid) = found_at
            if not hidden:
                shown = "; ".join(f"{k} {_show(v)}" for k, v in zip(self.outputs, outs[index], strict=True))
                message += f"\n  tokens {_show(xs[index])}\n  got    {shown}"
            return ("property", f"call {index + 1}: {message}", mid)
        for group in case.args["vary"]:
            if len({tuple(map(tuple, outs[i])) for i in group}) == 1:
                return ("property", f"{len(group)} calls on the same tokens with {len(group)} "
                        "different seeds all gave the same result", "fixed_internal_seed")
        if case.args["stats"]:
            return self.statistics(xs, outs, params)
        return None

    # --- shared checks ------------------------------------------------------------------
    @staticmethod
    def boundary_kept(x: list[int], y: list[int]) -> bool:
        head, _, tail = split_boundary(x)
        return y[: len(head)] == head and (not tail or y[len(y) - len(tail):] == tail) \
            and len(y) >= len(head) + len(tail)

    @staticmethod
    def outer_changed(x: list[int], y: list[int]) -> bool:
        """Whether the very first or very last token, a boundary token, changed."""
        return bool(y) and ((x[0] in LEADING_IDS and y[0] != x[0])
                            or (x[-1] in TRAILING_IDS and y[-1] != x[-1]))

    def _boundary_problem(self, xs: list[list[int]],
                          outs: list[tuple[list[int], ...]]) -> tuple[int, tuple[str, str]] | None:
        """The first call whose boundary tokens changed (checked on every call before anything
        else). Code that only ever spares the first and last token is told so."""
        bad = [i for i, (x, out) in enumerate(zip(xs, outs, strict=True))
               if not self.boundary_kept(x, out[0])]
        if not bad:
            return None
        if "assumes_boundary_tokens" in self.own_hints and not any(
                self.outer_changed(x, out[0]) for x, out in zip(xs, outs, strict=True)):
            return bad[0], ("a boundary token next to the first or last token was corrupted "
                            "(the very first and last tokens never were)", "assumes_boundary_tokens")
        return bad[0], ("a boundary token ([CLS]/<s> at the start, [SEP]/</s> at the end) was "
                        "corrupted or moved", "corrupts_boundary_tokens")

    @staticmethod
    def edge_coverage(xs: list[list[int]], hit: list[list[bool]], rates: list[float]) -> Problem | None:
        """Bodies that start (end) without a boundary token: their first (last) body token
        must be corrupted as often as any other, ``rates[i]`` being call i's own rate."""
        for side, name in ((0, "first"), (-1, "last")):
            observed, mean, var = 0, 0.0, 0.0
            for x, h, p in zip(xs, hit, rates, strict=True):
                head, body, tail = split_boundary(x)
                if not body or (head if side == 0 else tail):
                    continue
                observed += int(h[side])
                mean += p
                var += p * (1 - p)
            # Bound: 5 standard errors of a sum of independent Bernoulli(p_i).
            if mean >= 10 and observed < mean - Z_BOUND * math.sqrt(var):
                return ("statistics", f"in sequences with no boundary token at that end, the {name} "
                        f"token was corrupted {observed} times; expected about {mean:.0f} (at least "
                        f"{mean - Z_BOUND * math.sqrt(var):.0f}, 5 standard errors)",
                        "assumes_boundary_tokens")
        return None
