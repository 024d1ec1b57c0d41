"""Harnesses for lesson 06, denoising autoencoding (book ch. 1, "Denoising Autoencoder
Training Objective", "Input Corruption Methods for Denoising Autoencoder Training",
"Span-Based Denoising as an Encoder-Decoder Training Objective"; Lewis et al. 2020,
BART; Raffel et al. 2020, T5).

Exercises, in notebook order: the six corruptions ``token_masking``,
``token_deletion``, ``text_infilling``, ``sentence_permutation``,
``document_rotation`` and ``span_corruption``; then ``shift_right`` and
``seq2seq_loss``; and three short questions.

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
another order or another way pass (``tests/grader/test_denoising.py`` holds a bank).

``shift_right`` and ``seq2seq_loss`` are deterministic and use the ordinary layered
comparison against the reference.

Token ids follow the course tokenizer: ``[PAD]`` 0, ``[UNK]`` 1, ``[CLS]`` 2,
``[SEP]`` 3, ``[MASK]`` 4, ``<s>`` 5, ``</s>`` 6, sentinels ``<extra_id_0..7>`` 7..14.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from ..answers import AnswerHarness
from ..compare import ERROR_KEY, Mistake, Tolerance, Verdict
from ..harness import MUTATED_KEY, Case, Harness
from . import register

LESSON = "06_denoising"
IGNORE_INDEX = -100
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3, 4, 5, 6
SENTINEL_IDS = tuple(range(7, 15))
LEADING_IDS = (CLS_ID, BOS_ID)
TRAILING_IDS = (SEP_ID, EOS_ID)
#: Sentence-end ids used by the cases (ordinary ids, like "." and "?").
DOT, QMARK = 20, 21
#: Body tokens are distinct ids drawn from [WORD_BASE, WORD_BASE + WORD_POOL).
WORD_BASE, WORD_POOL = 30, 2000
#: Bounds of every statistical check, in standard errors (a correct implementation lands
#: outside mean +/- 5 SE with probability below 1e-6 per quantity).
Z_BOUND = 5.0
#: How a case's boundary looks: (leading tokens, trailing tokens).
BOUNDARIES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "cls": ((CLS_ID,), (SEP_ID,)),
    "bos": ((BOS_ID,), (EOS_ID,)),
    "eos": ((), (EOS_ID,)),
    "none": ((), ()),
    "both": ((CLS_ID, BOS_ID), (SEP_ID, EOS_ID)),
}


# --------------------------------------------------------------------------- helpers


def _seeds(gen: torch.Generator, n: int) -> list[int]:
    return torch.randint(0, 2**62, (n,), generator=gen).tolist()


def _words(gen: torch.Generator, n: int) -> list[int]:
    """``n`` distinct ordinary ids."""
    return (WORD_BASE + torch.randperm(WORD_POOL, generator=gen)[:n]).tolist()


def _with_boundary(body: list[int], kind: str) -> list[int]:
    head, tail = BOUNDARIES[kind]
    return [*head, *body, *tail]


def _pack(values: torch.Tensor) -> torch.Tensor:
    """Integer tensors in the smallest dtype that holds them exactly (fixtures stay small)."""
    lo, hi = (int(values.min()), int(values.max())) if values.numel() else (0, 0)
    for dtype in (torch.int16, torch.int32):
        info = torch.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return values.to(dtype)
    return values.long()


def _pack_rows(rows: Sequence[Sequence[int]]) -> dict[str, torch.Tensor]:
    """Rows of different lengths as a padded ``(N, T)`` tensor and their lengths."""
    width = max(len(r) for r in rows)
    tokens = torch.zeros(len(rows), width, dtype=torch.long)
    for i, r in enumerate(rows):
        tokens[i, : len(r)] = torch.tensor(list(r), dtype=torch.long)
    return {"tokens": _pack(tokens), "lengths": _pack(torch.tensor([len(r) for r in rows]))}


def _unpack_rows(tokens: torch.Tensor, lengths: torch.Tensor) -> list[torch.Tensor]:
    tokens = tokens.long()
    return [tokens[i, :n].clone() for i, n in enumerate(lengths.long().tolist())]


def split_boundary(tokens: Sequence[int]) -> tuple[list[int], list[int], list[int]]:
    """``(head, body, tail)``: the leading [CLS]/<s> run, the body, the trailing [SEP]/</s> run."""
    values = list(tokens)
    start = 0
    while start < len(values) and values[start] in LEADING_IDS:
        start += 1
    end = len(values)
    while end > start and values[end - 1] in TRAILING_IDS:
        end -= 1
    return values[:start], values[start:end], values[end:]


def _describe_value(value: Any) -> str:
    if type(value) is torch.Tensor:
        return f"tensor of dtype {value.dtype} and shape {tuple(value.shape)}"
    if isinstance(value, torch.Tensor):
        return f"tensor subclass {type(value).__name__}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of length {len(value)}"
    return type(value).__name__


def _show(ids: Sequence[int], limit: int = 18) -> str:
    ids = list(ids)
    shown = " ".join(str(i) for i in ids[:limit])
    return "[" + shown + (" ...]" if len(ids) > limit else "]")


def _band(p: float, n: int) -> float:
    """5 binomial standard errors of a rate p measured on n trials, plus half a count."""
    return Z_BOUND * math.sqrt(max(p * (1 - p), 0.0) / max(n, 1)) + 0.5 / max(n, 1)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _closest(value: float, rivals: list[tuple[str, float, float]]) -> str | None:
    """The rival hypothesis (id, mean, bound) nearest to ``value`` within its bound, if any."""
    inside = [(abs(value - mean) / bound, mid) for mid, mean, bound in rivals
              if bound > 0 and abs(value - mean) <= bound]
    return min(inside)[1] if inside else None


def _is_subsequence(short: Sequence[int], long: Sequence[int]) -> bool:
    it = iter(long)
    return all(any(tok == other for other in it) for tok in short)


Problem = tuple[str, str, str]  # (layer, what was measured, mistake id)


COMMON_HINTS: dict[str, str] = {
    "wrong_return_type": "return a new 1-D torch.long tensor of token ids (torch.tensor(list, "
    "dtype=torch.long) or torch.cat of pieces of the input).",
    "wrong_dtype": "token ids are integers: return a torch.long (int64) tensor, e.g. build it "
    "with torch.tensor(ids, dtype=torch.long) or from pieces of the input.",
    "wrong_shape": "the function takes ONE sequence, a 1-D tensor (T,), and returns a 1-D tensor.",
    "mutates_input": "tokens must not change: work on a copy (tokens.clone()) or build a new "
    "tensor; masked_fill_ / index assignment on tokens itself changes the caller's data.",
    "ignores_generator": "draw every random number from the generator you are given "
    "(torch.rand(..., generator=generator), torch.randperm(n, generator=generator), "
    "torch.poisson(rates, generator=generator)); the global random state, Python's random "
    "or numpy make two runs with the same seed differ.",
    "fixed_internal_seed": "the output must depend on the generator: calls with different seeds "
    "all gave the same result. Use the generator passed in, not one you create or re-seed, and "
    "make sure the random draws decide the corruption.",
    "corrupts_boundary_tokens": "a leading [CLS]/<s> run and a trailing [SEP]/</s> run are never "
    "corrupted and never move: split them off first (head, body, tail), corrupt the body only, "
    "and put head + body + tail back together.",
}


# --------------------------------------------------------------------------- the corruptions


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
            err = str(got[ERROR_KEY])
            mid = "not_implemented" if err.startswith("NotImplementedError") else None
            return Verdict(False, f"FAILED (error) {context}\nyour code raised {err}", mid, "error")
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


TOKEN_MASKING_HINTS: dict[str, str] = {
    "changes_length": "token masking REPLACES chosen body tokens by mask_token_id: the output "
    "has exactly the length of the input (nothing is deleted or inserted).",
    "replaces_with_other_ids": "every chosen token becomes mask_token_id; BART's token masking "
    "has no random replacements and no kept tokens (that is BERT's 80/10/10 recipe).",
    "count_includes_boundary": "take the ratio of the BODY: n = number of tokens between the "
    "leading [CLS]/<s> and trailing [SEP]/</s> tokens, then mask ceil(mask_ratio * n) of them.",
    "hardcoded_ratio": "use the mask_ratio argument instead of a fixed 0.15.",
    "ratio_inverted": "mask_ratio is the share of body tokens that BECOME [MASK], not the share "
    "that stays.",
    "assumes_boundary_tokens": "do not drop the first and last token blindly: only a leading "
    "[CLS]/<s> run and a trailing [SEP]/</s> run are protected; a sequence without them is all body.",
    "wrong_mask_ratio": "mask ceil(mask_ratio * n) of the n body tokens (or each with "
    "probability mask_ratio).",
}


@register
class TokenMasking(_Corruption):
    """``token_masking(tokens, *, mask_token_id, mask_ratio=0.15, generator=None)``."""

    name = "token_masking"
    title = "BART token masking: replace a share of the body tokens by [MASK]"
    own_hints = TOKEN_MASKING_HINTS

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        ratio = 0.4
        small = [_with_boundary(_words(gen, n), kind) for n, kind in
                 ((12, "cls"), (7, "bos"), (9, "eos"), (6, "none"))]
        if hidden:
            small = [_with_boundary(_words(gen, n), kind) for n, kind in
                     ((14, "bos"), (8, "both"), (11, "none"), (5, "cls"), (10, "eos"))]
        # Statistics: bodies of 5, 10 or 15 tokens (0.4 * n a whole number), 78 rows of every
        # boundary kind, 4 calls per row: 3,120 body tokens, so the masked share is measured to
        # +/- 4.4% (5 SE). A count taken over the whole sequence gives 47.7% on these rows; 96
        # calls end (144 start) with a body token, so ~38 last tokens are expected to be masked,
        # at least 14 (5 SE).
        stats_rows = [_with_boundary(_words(gen, (5, 10, 15)[i % 3]), kind)
                      for kind in ("cls", "bos", "eos", "none", "none", "cls", "both")
                      for i in range(12 if kind != "both" else 6)]
        params = {"mask_token_id": MASK_ID, "mask_ratio": ratio}
        what = f"mask_token_id={MASK_ID}, mask_ratio={ratio}"
        return [
            self.make_case(gen, "small sequences", f"{len(small)} sequences with and without "
                           f"[CLS]/<s>/[SEP]/</s> boundary tokens, {what}, seeded generators",
                           small, params, stats=False, vary=7),
            self.make_case(gen, "statistics", f"{4 * len(stats_rows)} calls on sequences of 5 to "
                           f"17 tokens, {what}", stats_rows, params, stats=True, repeat=4),
        ]

    def call(self, candidate, tokens, generator, params):
        return candidate(tokens, mask_token_id=params["mask_token_id"],
                         mask_ratio=params["mask_ratio"], generator=generator)

    def check_call(self, x, outs, params):
        (y,) = outs
        mask = params["mask_token_id"]
        if len(y) != len(x):
            return (f"the output has {len(y)} tokens, the input {len(x)}", "changes_length")
        for a, b in zip(x, y, strict=True):
            if a != b and b != mask:
                return (f"token {a} became {b}, which is not mask_token_id {mask}",
                        "replaces_with_other_ids")
        return None

    def statistics(self, xs, outs, params):
        ratio = params["mask_ratio"]
        hits, counts, n_total, whole, fixed = [], [], 0, 0, 0
        for x, (y,) in zip(xs, outs, strict=True):
            head, body, tail = split_boundary(x)
            h = [a != b for a, b in zip(x, y, strict=True)][len(head): len(x) - len(tail)]
            hits.append(h)
            counts.append(sum(h))
            n_total += len(body)
            whole += min(len(body), math.ceil(ratio * len(x) - 1e-9))
            fixed += min(len(body), math.ceil(0.15 * len(body) - 1e-9))
        rate = sum(counts) / n_total
        band = _band(ratio, n_total)
        if abs(rate - ratio) > band:
            rivals = [("count_includes_boundary", whole / n_total, _band(whole / n_total, n_total)),
                      ("hardcoded_ratio", fixed / n_total, _band(fixed / n_total, n_total)),
                      ("ratio_inverted", 1 - ratio, _band(1 - ratio, n_total))]
            mid = _closest(rate, rivals) or "wrong_mask_ratio"
            return ("statistics", f"masked {sum(counts)} of {n_total} body tokens = {_pct(rate)}; "
                    f"expected {_pct(ratio)} +/- {_pct(band)} (5 standard errors)", mid)
        rates = [c / max(len(h), 1) for c, h in zip(counts, hits, strict=True)]
        return self.edge_coverage(xs, hits, rates)


TOKEN_DELETION_HINTS: dict[str, str] = {
    "masks_instead_of_deleting": "token deletion REMOVES the chosen tokens (the output is "
    "shorter); writing [MASK] in their place is token masking.",
    "not_a_deletion": "the output must be the input with some body tokens removed: the other "
    "tokens keep their values and their order (no insertions, no shuffling).",
    "count_includes_boundary": "take the ratio of the BODY: n = number of tokens between the "
    "leading [CLS]/<s> and trailing [SEP]/</s> tokens, then delete ceil(deletion_ratio * n).",
    "ratio_per_document": "deletion_ratio is the share of TOKENS deleted in every document, not "
    "the probability that a document loses a token: delete ceil(deletion_ratio * n) of its n "
    "body tokens.",
    "hardcoded_ratio": "use the deletion_ratio argument instead of a fixed 0.15.",
    "ratio_inverted": "deletion_ratio is the share of body tokens that are DELETED, not the share "
    "that is kept.",
    "wrong_deletion_ratio": "delete ceil(deletion_ratio * n) of the n body tokens (or each with "
    "probability deletion_ratio).",
    "assumes_boundary_tokens": "do not drop the first and last token blindly: only a leading "
    "[CLS]/<s> run and a trailing [SEP]/</s> run are protected; a sequence without them is all body.",
    "deletes_one_span": "choose the deleted tokens independently at random places (e.g. the first "
    "k of torch.randperm(n)); removing one block of consecutive tokens is span deletion, which "
    "text infilling covers.",
}


@register
class TokenDeletion(_Corruption):
    """``token_deletion(tokens, *, deletion_ratio=0.15, generator=None)``."""

    name = "token_deletion"
    title = "BART token deletion: remove a share of the body tokens"
    own_hints = TOKEN_DELETION_HINTS

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        ratio = 0.4
        small = [_with_boundary(_words(gen, n), kind) for n, kind in
                 ((12, "cls"), (7, "bos"), (9, "eos"), (6, "none"))]
        if hidden:
            small = [_with_boundary(_words(gen, n), kind) for n, kind in
                     ((13, "eos"), (8, "both"), (10, "none"), (6, "bos"), (11, "cls"))]
        # As for token_masking: 3,120 body tokens, the deleted share measured to +/- 4.4%.
        # One token deleted per document (with probability 0.4) gives 4%; a count over the
        # whole sequence 47.7%.
        stats_rows = [_with_boundary(_words(gen, (5, 10, 15)[i % 3]), kind)
                      for kind in ("cls", "bos", "eos", "none", "none", "cls", "both")
                      for i in range(12 if kind != "both" else 6)]
        params = {"deletion_ratio": ratio}
        return [
            self.make_case(gen, "small sequences", f"{len(small)} sequences with and without "
                           f"[CLS]/<s>/[SEP]/</s> boundary tokens, deletion_ratio={ratio}, "
                           "seeded generators", small, params, stats=False, vary=7),
            self.make_case(gen, "statistics", f"{4 * len(stats_rows)} calls on sequences of 5 to "
                           f"17 tokens, deletion_ratio={ratio}", stats_rows, params, stats=True,
                           repeat=4),
        ]

    def call(self, candidate, tokens, generator, params):
        return candidate(tokens, deletion_ratio=params["deletion_ratio"], generator=generator)

    def check_call(self, x, outs, params):
        (y,) = outs
        if MASK_ID in y and MASK_ID not in x:
            return (f"the output holds [MASK] ({MASK_ID}) tokens", "masks_instead_of_deleting")
        if len(y) > len(x):
            return (f"the output has {len(y)} tokens, more than the input's {len(x)}", "not_a_deletion")
        if not _is_subsequence(y, x):
            return ("the output is not the input with tokens removed (a token changed or moved)",
                    "not_a_deletion")
        return None

    @staticmethod
    def deleted_flags(x: list[int], y: list[int]) -> list[bool]:
        """For each body token of ``x`` (distinct ids), whether it is missing from ``y``."""
        _, body, _ = split_boundary(x)
        kept = set(y)
        return [tok not in kept for tok in body]

    def statistics(self, xs, outs, params):
        ratio = params["deletion_ratio"]
        hits = [self.deleted_flags(x, y) for x, (y,) in zip(xs, outs, strict=True)]
        counts = [sum(h) for h in hits]
        n_total = sum(len(h) for h in hits)
        whole = sum(min(len(h), math.ceil(ratio * len(x) - 1e-9)) for x, h in zip(xs, hits, strict=True))
        fixed = sum(min(len(h), math.ceil(0.15 * len(h) - 1e-9)) for h in hits)
        rate = sum(counts) / n_total
        band = _band(ratio, n_total)
        if abs(rate - ratio) > band:
            per_doc = ratio * len(hits) / n_total
            rivals = [("count_includes_boundary", whole / n_total, _band(whole / n_total, n_total)),
                      ("ratio_per_document", per_doc, _band(per_doc, n_total)),
                      ("hardcoded_ratio", fixed / n_total, _band(fixed / n_total, n_total)),
                      ("ratio_inverted", 1 - ratio, _band(1 - ratio, n_total))]
            mid = _closest(rate, rivals) or "wrong_deletion_ratio"
            return ("statistics", f"deleted {sum(counts)} of {n_total} body tokens = {_pct(rate)}; "
                    f"expected {_pct(ratio)} +/- {_pct(band)} (5 standard errors)", mid)
        # Neighbours: given k of n tokens deleted at uniformly random places, a pair of
        # neighbours is deleted together k (k - 1) / n times on average per sequence. Bound:
        # that mean plus 5 standard deviations (variance taken as twice the mean, the pairs
        # being positively correlated) plus 2.
        pairs = sum(sum(a and b for a, b in zip(h[:-1], h[1:], strict=True)) for h in hits)
        mean = sum(k * (k - 1) / len(h) for k, h in zip(counts, hits, strict=True) if h)
        bound = mean + Z_BOUND * math.sqrt(2 * mean) + 2
        if pairs > bound:
            return ("statistics", f"{pairs} pairs of neighbouring tokens were deleted together; "
                    f"with deletions at random places about {mean:.0f} are expected (at most "
                    f"{bound:.0f})", "deletes_one_span")
        rates = [c / max(len(h), 1) for c, h in zip(counts, hits, strict=True)]
        return self.edge_coverage(xs, hits, rates)


TEXT_INFILLING_HINTS: dict[str, str] = {
    "not_infilling": "the output body is the input body with some spans of tokens taken out and "
    "one mask_token_id in each span's place: every other token keeps its value and its order.",
    "deletes_without_mask": "every span that is taken out leaves ONE mask_token_id in its place; "
    "tokens went missing with no [MASK] where they were (that is token deletion).",
    "one_mask_per_token": "a whole span becomes ONE mask_token_id (the model must also guess how "
    "many tokens are missing); one [MASK] per hidden token is token masking.",
    "fixed_span_length": "draw each span's length from a Poisson distribution, "
    "torch.poisson(torch.full((k,), poisson_lambda), generator=generator); a fixed length hides "
    "nothing about how long a span is.",
    "no_zero_length_spans": "a Poisson length can be 0: keep such spans, each inserts one "
    "mask_token_id without removing a token (so a [MASK] does not always mean 'something is "
    "missing').",
    "hardcoded_lambda": "use the poisson_lambda argument instead of a fixed 3.",
    "hardcoded_ratio": "use the mask_ratio argument instead of a fixed 0.3.",
    "wrong_mask_ratio": "hide ceil(mask_ratio * n) of the n body tokens in total: draw span "
    "lengths until they add up to at least that budget and cut the last one to fit.",
    "wrong_span_lengths": "span lengths follow Poisson(poisson_lambda): their mean is about "
    "poisson_lambda (a little less, as the last span is cut to the budget).",
}


def infilling_gaps(x: list[int], y: list[int], mask_id: int) -> list[tuple[int, int]] | None:
    """Align an infilled body with the original (distinct ids): for each gap between kept
    tokens (ends included), (number of masks there, number of original tokens removed).
    None when the kept tokens are not the original's in order."""
    _, body, _ = split_boundary(x)
    head_n, _, tail_n = (len(p) for p in split_boundary(x))
    out_body = y[head_n: len(y) - tail_n]
    where = {tok: i for i, tok in enumerate(body)}
    gaps, prev, masks = [], -1, 0
    for tok in out_body:
        if tok == mask_id:
            masks += 1
            continue
        i = where.get(tok)
        if i is None or i <= prev:
            return None
        gaps.append((masks, i - prev - 1))
        prev, masks = i, 0
    gaps.append((masks, len(body) - prev - 1))
    return gaps


@register
class TextInfilling(_Corruption):
    """``text_infilling(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None)``."""

    name = "text_infilling"
    title = "BART text infilling: Poisson-length spans, one [MASK] each"
    own_hints = TEXT_INFILLING_HINTS

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        small = [_with_boundary(_words(gen, n), kind) for n, kind in
                 ((20, "cls"), (14, "bos"), (11, "eos"), (9, "none"))]
        if hidden:
            small = [_with_boundary(_words(gen, n), kind) for n, kind in
                     ((22, "bos"), (12, "both"), (16, "none"), (10, "cls"), (13, "eos"))]
        kinds = ("cls", "bos", "eos", "none")
        # Statistics, default parameters: 16 bodies of 250 tokens (0.3 * 250 = 75 hidden per
        # call), 4,000 body tokens and ~400 spans. The hidden share is measured to +/- 3.7%
        # (5 SE); the mean span length to about +/- 0.45 around 3 (5 SE of a Poisson mean over
        # 400 spans; cutting the last span of each call lowers it by ~0.15); ~20 zero-length
        # spans are expected (e^-3 of the spans), so seeing none happens with probability ~2e-9.
        stats = [_with_boundary(_words(gen, 250), kinds[i % 4]) for i in range(16)]
        # Other parameters (mask_ratio 0.2, lambda 1.5), so fixed numbers in the code show:
        # 12 bodies of 200 tokens, 480 hidden tokens in ~320 spans.
        other = [_with_boundary(_words(gen, 200), kinds[i % 4]) for i in range(12)]
        default = {"mask_token_id": MASK_ID, "mask_ratio": 0.3, "poisson_lambda": 3.0}
        params2 = {"mask_token_id": MASK_ID, "mask_ratio": 0.2, "poisson_lambda": 1.5}
        return [
            self.make_case(gen, "small sequences", f"{len(small)} sequences of 9 to 24 tokens with "
                           "and without boundary tokens, mask_ratio=0.3, poisson_lambda=3.0",
                           small, default, stats=False, vary=7),
            self.make_case(gen, "statistics, default parameters", f"{len(stats)} sequences of "
                           "about 250 distinct tokens, mask_ratio=0.3, poisson_lambda=3.0",
                           stats, default, stats=True),
            self.make_case(gen, "statistics, other parameters", f"{len(other)} sequences of about "
                           "200 distinct tokens, mask_ratio=0.2, poisson_lambda=1.5",
                           other, params2, stats=True),
        ]

    def call(self, candidate, tokens, generator, params):
        return candidate(tokens, mask_token_id=params["mask_token_id"], mask_ratio=params["mask_ratio"],
                         poisson_lambda=params["poisson_lambda"], generator=generator)

    def check_call(self, x, outs, params):
        (y,) = outs
        gaps = infilling_gaps(x, y, params["mask_token_id"])
        if gaps is None:
            return ("the tokens that are not [MASK] are not the input's tokens in their order",
                    "not_infilling")
        if any(m == 0 and r > 0 for m, r in gaps):
            r = next(r for m, r in gaps if m == 0 and r > 0)
            return (f"{r} consecutive tokens went missing with no [MASK] in their place",
                    "deletes_without_mask")
        return None

    def statistics(self, xs, outs, params):
        ratio, lam, mask = params["mask_ratio"], params["poisson_lambda"], params["mask_token_id"]
        all_gaps = [infilling_gaps(x, y, mask) or [] for x, (y,) in zip(xs, outs, strict=True)]
        n_total = sum(len(split_boundary(x)[1]) for x in xs)
        removed = sum(r for g in all_gaps for _, r in g)
        masks = sum(m for g in all_gaps for m, _ in g)
        if masks and all(m == r for g in all_gaps for m, r in g):
            return ("statistics", f"each of the {removed} hidden tokens got its own [MASK]",
                    "one_mask_per_token")
        rate = removed / n_total
        band = _band(ratio, n_total)
        if abs(rate - ratio) > band:
            mid = _closest(rate, [("hardcoded_ratio", 0.3, _band(0.3, n_total))]) \
                if ratio != 0.3 else None
            return ("statistics", f"hid {removed} of {n_total} body tokens = {_pct(rate)}; expected "
                    f"{_pct(ratio)} +/- {_pct(band)} (5 standard errors)", mid or "wrong_mask_ratio")
        # Lengths of spans that sit alone in their gap (most of them).
        single = [r for g in all_gaps for m, r in g if m == 1]
        if len(single) >= 30:
            mean = sum(single) / len(single)
            var = sum((r - mean) ** 2 for r in single) / (len(single) - 1)
            # Poisson: variance = mean. Cutting the last span of each call to the budget and
            # measuring only spans alone in their gap keep the ratio above ~0.8 for correct
            # code (measured 0.80 to 1.2 over 400 seeds); a fixed length gives ~0.1.
            if mean > 0 and var / mean < 0.4:
                return ("statistics", f"the {len(single)} spans have lengths with mean {mean:.2f} "
                        f"and variance {var:.2f}; Poisson lengths have a variance about equal "
                        "to their mean", "fixed_span_length")
        zero = sum(m for g in all_gaps for m, r in g if r == 0 and m > 0)
        expected_zero = masks * math.exp(-lam)
        if zero == 0 and expected_zero >= 15:
            return ("statistics", f"no [MASK] of the {masks} stands for an empty span; with "
                    f"Poisson({lam:g}) lengths about {expected_zero:.0f} should (P(0) = e^-{lam:g})",
                    "no_zero_length_spans")
        mean_len = removed / max(masks, 1)
        # Bound: 5 SE of a Poisson mean, sqrt(lambda / spans), plus the cut spans: each call's
        # last span is cut, lowering the mean by at most lambda per call.
        calls = len(xs)
        low = lam - Z_BOUND * math.sqrt(lam / max(masks, 1)) - lam * calls / max(masks, 1)
        high = lam + Z_BOUND * math.sqrt(lam / max(masks, 1))
        if not low <= mean_len <= high:
            mid = "hardcoded_lambda" if lam != 3.0 and abs(mean_len - 3.0) < abs(mean_len - lam) \
                else "wrong_span_lengths"
            return ("statistics", f"{removed} hidden tokens in {masks} spans: mean span length "
                    f"{mean_len:.2f}; expected {lam:g} (between {low:.2f} and {high:.2f})", mid)
        return None


SENTENCE_PERMUTATION_HINTS: dict[str, str] = {
    "changes_length": "sentence permutation only reorders: the output holds exactly the input's "
    "tokens.",
    "shuffles_tokens": "shuffle whole SENTENCES, not tokens: cut the body after every "
    "sentence-end id, then put the sentences back in a random order (torch.randperm(k)).",
    "end_id_starts_sentence": "a sentence ends AFTER its sentence-end id: the '.' belongs to the "
    "sentence it closes (cut at position i + 1 when tokens[i] is an end id).",
    "uses_one_end_id": "every id in sentence_end_ids ends a sentence (e.g. '.' and '?'), not "
    "only the first one.",
    "drops_unterminated_sentence": "tokens after the last sentence-end id form a last sentence "
    "of their own: keep them (they are shuffled like any other sentence).",
    "not_a_permutation": "the output body must be the input's sentences, each unchanged, in "
    "some order.",
    "order_not_uniform": "every order of the sentences must be equally likely, the original one "
    "included: use one torch.randperm(num_sentences, generator=generator).",
}


def split_sentences(body: list[int], ends: Sequence[int]) -> list[tuple[int, ...]]:
    """Cut ``body`` after every id in ``ends``; trailing tokens without one form a last sentence."""
    out, current = [], []
    for tok in body:
        current.append(tok)
        if tok in ends:
            out.append(tuple(current))
            current = []
    if current:
        out.append(tuple(current))
    return out


def sentence_order(parts: list[tuple[int, ...]], body: list[int]) -> list[int] | None:
    """Indices of ``parts`` whose concatenation (each used once) is ``body``, or None."""
    def search(pos: int, left: list[int]) -> list[int] | None:
        if pos == len(body):
            return [] if not left else None
        for i in left:
            p = parts[i]
            if tuple(body[pos: pos + len(p)]) == p:
                rest = search(pos + len(p), [j for j in left if j != i])
                if rest is not None:
                    return [i, *rest]
        return None
    return search(0, list(range(len(parts))))


@register
class SentencePermutation(_Corruption):
    """``sentence_permutation(tokens, *, sentence_end_ids, generator=None)``."""

    name = "sentence_permutation"
    title = "BART sentence permutation: shuffle the sentences of a document"
    own_hints = SENTENCE_PERMUTATION_HINTS

    @staticmethod
    def _document(gen: torch.Generator, sizes: Sequence[int], ends: Sequence[int],
                  unterminated: int = 0) -> list[int]:
        words = _words(gen, sum(sizes) + unterminated)
        body, pos = [], 0
        for i, size in enumerate(sizes):
            body += words[pos: pos + size] + [ends[i % len(ends)]]
            pos += size
        return body + words[pos: pos + unterminated]

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        doc = self._document
        if hidden:
            small = [_with_boundary(doc(gen, (3, 5, 2, 4, 3), [DOT]), "bos"),
                     _with_boundary(doc(gen, (4, 2, 3), [DOT]), "cls"),
                     _with_boundary(doc(gen, (2, 3, 4), [DOT]), "none"),
                     _with_boundary(doc(gen, (5,), [DOT]), "eos")]
            two = [_with_boundary(doc(gen, (3, 2, 4, 3), [DOT, QMARK], 3), "bos"),
                   _with_boundary(doc(gen, (2, 4, 3), [QMARK, DOT], 2), "none")]
        else:
            small = [_with_boundary(doc(gen, (3, 4, 2, 5), [DOT]), "bos"),
                     _with_boundary(doc(gen, (4, 3, 2), [DOT]), "cls"),
                     _with_boundary(doc(gen, (2, 4, 3), [DOT]), "none"),
                     _with_boundary(doc(gen, (4,), [DOT]), "eos")]
            two = [_with_boundary(doc(gen, (3, 2, 4), [DOT, QMARK], 3), "bos"),
                   _with_boundary(doc(gen, (2, 3, 3), [QMARK, DOT], 2), "none")]
        # Statistics: 30 documents of 3 sentences, 10 calls each: each of the 6 orders is
        # expected 1/6 of 300 times, measured to +/- 10.8% (5 SE).
        kinds = ("cls", "bos", "eos", "none", "both")
        stats = [_with_boundary(doc(gen, (2 + i % 3, 3, 2 + i % 2), [DOT]), kinds[i % 5])
                 for i in range(30)]
        return [
            self.make_case(gen, "documents", f"{len(small)} documents of 1 to 5 sentences ending "
                           f"with id {DOT}, sentence_end_ids=[{DOT}]", small,
                           {"sentence_end_ids": [DOT]}, stats=False, vary=7),
            # 10 calls per document of 4 sentences: a sentence is followed by the one that
            # followed it before with probability 1/4 per call, so by chance in all 20 calls
            # with probability ~1e-12.
            self.make_case(gen, "two end ids, unterminated last sentence",
                           f"{len(two)} documents whose sentences end with id {DOT} or {QMARK} "
                           f"and whose last sentence has no end id, sentence_end_ids=[{DOT}, {QMARK}]",
                           two, {"sentence_end_ids": [DOT, QMARK]}, stats=True, repeat=10),
            self.make_case(gen, "statistics", f"{10 * len(stats)} calls on documents of 3 "
                           f"sentences, sentence_end_ids=[{DOT}]", stats,
                           {"sentence_end_ids": [DOT]}, stats=True, repeat=10),
        ]

    def call(self, candidate, tokens, generator, params):
        return candidate(tokens, sentence_end_ids=list(params["sentence_end_ids"]), generator=generator)

    def check_call(self, x, outs, params):
        (y,) = outs
        ends = params["sentence_end_ids"]
        head, body, tail = split_boundary(x)
        sentences = split_sentences(body, ends)
        if len(y) != len(x):
            if sentences and sentences[-1][-1] not in ends and len(y) == len(x) - len(sentences[-1]):
                return (f"the output lost {len(sentences[-1])} tokens: the last sentence, which "
                        "has no end id", "drops_unterminated_sentence")
            return (f"the output has {len(y)} tokens, the input {len(x)}", "changes_length")
        out_body = y[len(head): len(y) - len(tail)]
        if sentence_order(sentences, out_body) is not None:
            return None
        if sorted(out_body) != sorted(body):
            return ("the output body does not hold the input's tokens", "not_a_permutation")
        before = self._split_before(body, ends)
        if sentence_order(before, out_body) is not None:
            return ("each '.' moved with the sentence AFTER it", "end_id_starts_sentence")
        for end in ends:
            if len(ends) > 1 and sentence_order(split_sentences(body, [end]), out_body) is not None:
                return (f"only id {end} ended sentences; sentence_end_ids is {list(ends)}",
                        "uses_one_end_id")
        return ("the output body is not the input's sentences in another order", "shuffles_tokens")

    @staticmethod
    def _end_ids_used(xs, outs, ends) -> Problem | None:
        """Each end id must end sentences: a sentence it ends cannot stay glued to the next one."""
        for end in ends:
            glued, seen = 0, 0
            for x, (y,) in zip(xs, outs, strict=True):
                head, body, tail = split_boundary(x)
                parts = split_sentences(body, ends)
                order = sentence_order(parts, y[len(head): len(y) - len(tail)]) or []
                for i in range(len(parts) - 1):
                    if parts[i][-1] == end and i in order:
                        seen += 1
                        at = order.index(i)
                        glued += at + 1 < len(order) and order[at + 1] == i + 1
            if seen >= 10 and glued == seen:
                return ("statistics", f"in all {seen} calls, each sentence ending with id {end} was "
                        "still followed by the sentence after it: that id never ended a sentence",
                        "uses_one_end_id")
        return None

    @staticmethod
    def _split_before(body: list[int], ends: Sequence[int]) -> list[tuple[int, ...]]:
        out, current = [], []
        for tok in body:
            if tok in ends and current:
                out.append(tuple(current))
                current = []
            current.append(tok)
        if current:
            out.append(tuple(current))
        return out

    def statistics(self, xs, outs, params):
        ends = params["sentence_end_ids"]
        if len(ends) > 1:
            return self._end_ids_used(xs, outs, ends)
        orders: Counter[tuple[int, ...]] = Counter()
        for x, (y,) in zip(xs, outs, strict=True):
            head, body, tail = split_boundary(x)
            order = sentence_order(split_sentences(body, ends), y[len(head): len(y) - len(tail)])
            orders[tuple(order or ())] += 1
        n = len(xs)
        band = _band(1 / 6, n)
        for perm in ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)):
            share = orders[perm] / n
            if abs(share - 1 / 6) > band:
                shown = ", ".join(f"{''.join(str(i + 1) for i in p)}: {orders[p]}" for p in sorted(orders))
                return ("statistics", f"over {n} documents of 3 sentences the orders came "
                        f"{shown} times;\n  each of the 6 orders should come 1/6 of the time, "
                        f"{_pct(1 / 6)} +/- {_pct(band)} (5 standard errors); order "
                        f"{''.join(str(i + 1) for i in perm)} came {_pct(share)}", "order_not_uniform")
        return None


DOCUMENT_ROTATION_HINTS: dict[str, str] = {
    "changes_length": "rotation only moves tokens: the output holds exactly the input's tokens.",
    "reverses_instead_of_rotating": "rotating keeps the order of the tokens and only changes "
    "where the document starts: body[start:] followed by body[:start] (torch.roll), not the "
    "body reversed.",
    "not_a_rotation": "the output body must be body[start:] + body[:start] for one start position.",
    "start_not_uniform": "every body position must be equally likely to become the start: "
    "torch.randint(n, (1,), generator=generator) draws from 0 .. n-1 (the upper bound is "
    "excluded, so randint(0, n - 1) never picks the last token).",
}


@register
class DocumentRotation(_Corruption):
    """``document_rotation(tokens, *, generator=None)``."""

    name = "document_rotation"
    title = "BART document rotation: start the document at a random token"
    own_hints = DOCUMENT_ROTATION_HINTS

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        small = [_with_boundary(_words(gen, n), kind) for n, kind in
                 ((12, "bos"), (8, "cls"), (7, "eos"), (6, "none"))]
        if hidden:
            small = [_with_boundary(_words(gen, n), kind) for n, kind in
                     ((13, "both"), (9, "bos"), (8, "none"), (5, "cls"), (7, "eos"))]
        # Statistics: bodies of 6 tokens, 360 calls: each start is expected 1/6 of the time
        # (or 1/5 when an implementation never keeps the start, as fairseq), measured to
        # +/- 10% (5 SE).
        kinds = ("cls", "bos", "eos", "none", "both", "none")
        stats = [_with_boundary(_words(gen, 6), kinds[i % 6]) for i in range(36)]
        return [
            self.make_case(gen, "small documents", f"{len(small)} documents of 6 to 13 tokens with "
                           "and without boundary tokens", small, {}, stats=False, vary=7),
            self.make_case(gen, "statistics", f"{10 * len(stats)} calls on documents of 6 body "
                           "tokens", stats, {}, stats=True, repeat=10),
        ]

    def call(self, candidate, tokens, generator, params):
        return candidate(tokens, generator=generator)

    @staticmethod
    def start_of(x: list[int], y: list[int]) -> int | None:
        head, body, tail = split_boundary(x)
        out_body = y[len(head): len(y) - len(tail)]
        if not out_body or out_body[0] not in body:
            return None
        start = body.index(out_body[0])
        return start if body[start:] + body[:start] == out_body else None

    def check_call(self, x, outs, params):
        (y,) = outs
        if len(y) != len(x):
            return (f"the output has {len(y)} tokens, the input {len(x)}", "changes_length")
        if self.start_of(x, y) is None:
            head, body, tail = split_boundary(x)
            if y[len(head): len(y) - len(tail)] == body[::-1]:
                return ("the body came out reversed", "reverses_instead_of_rotating")
            return ("the output body is not a rotation of the input body", "not_a_rotation")
        return None

    def statistics(self, xs, outs, params):
        n = len(split_boundary(xs[0])[1])
        counts = Counter(self.start_of(x, y) for x, (y,) in zip(xs, outs, strict=True))
        starts = list(range(n)) if counts[0] else list(range(1, n))  # fairseq never keeps 0
        p = 1 / len(starts)
        band = _band(p, len(xs))
        for s in starts:
            share = counts[s] / len(xs)
            if abs(share - p) > band:
                shown = ", ".join(f"{k}: {counts[k]}" for k in range(n))
                return ("statistics", f"over {len(xs)} rotations of {n}-token bodies the start "
                        f"positions came {shown} times;\n  each should come {_pct(p)} +/- "
                        f"{_pct(band)} (5 standard errors)", "start_not_uniform")
        return None


SPAN_CORRUPTION_HINTS: dict[str, str] = {
    "wrong_return_type": "return a tuple (inputs, targets) of two 1-D torch.long tensors.",
    "no_noise_span": "corrupt at least one span (T5 clips the number of noise tokens to at "
    "least 1): the inputs must hold a sentinel.",
    "reuses_one_sentinel": "each span gets its OWN sentinel: span i is replaced by "
    "sentinel_ids[i] (<extra_id_0>, <extra_id_1>, ...), so the targets say which span is which.",
    "ignores_sentinel_ids": "use the ids in sentinel_ids (span i gets sentinel_ids[i]); do not "
    "assume the sentinels are 7, 8, 9 ...",
    "sentinels_out_of_order": "the spans, from left to right, get sentinel_ids[0], "
    "sentinel_ids[1], ... in that order.",
    "targets_without_sentinels": "the targets are each sentinel followed by the tokens of its "
    "span: <X> span0 <Y> span1 ... then one more sentinel.",
    "missing_final_sentinel": "end the targets with one more sentinel, sentinel_ids[num_spans], "
    "after the last span (T5's 'final sentinel token'), before any trailing [SEP]/</s>.",
    "targets_do_not_match_inputs": "the targets hold the same sentinels as the inputs, in the same "
    "order, then the final one: sentinel_ids[0] ... sentinel_ids[num_spans].",
    "does_not_reconstruct": "replacing each sentinel in the inputs by the tokens after it in the "
    "targets must give back the original tokens: the inputs keep every other token, in order.",
    "empty_span": "every noise span holds at least one token: a sentinel with nothing after it in "
    "the targets stands for nothing.",
    "spans_touch": "two noise spans never touch (consecutive noise tokens form ONE span, with one "
    "sentinel): keep at least one token between spans.",
    "targets_miss_end_tokens": "a trailing [SEP]/</s> run ends BOTH the inputs and the targets "
    "(T5 appends </s> to both).",
    "hardcoded_parameters": "use the noise_density and mean_span_length arguments instead of "
    "fixed 0.15 and 3.",
    "ignores_mean_span_length": "the number of spans is round(num_noise / mean_span_length): "
    "the noise tokens come in spans of about mean_span_length tokens, not one by one.",
    "wrong_noise_density": "corrupt round(noise_density * n) of the n body tokens (at least 1, "
    "at most n - 1).",
    "wrong_span_lengths": "use num_spans = round(num_noise / mean_span_length) spans, so the mean "
    "span length is mean_span_length.",
}


@register
class SpanCorruption(_Corruption):
    """``span_corruption(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0,
    generator=None) -> (inputs, targets)``."""

    name = "span_corruption"
    title = "T5 span corruption: sentinels in the inputs, the spans in the targets"
    outputs = ("inputs", "targets")
    own_hints = SPAN_CORRUPTION_HINTS

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # Row 0 (called with 8 seeds) has 5 noise tokens in 2 spans: T5's own code always puts
        # a single span at the very end, so one span would not vary with the seed. The short
        # rows, called twice each, make corrupted boundary tokens likely to show in this case.
        tiny = ((3, "both"), (2, "bos"), (4, "cls"), (3, "both"))
        small = [_with_boundary(_words(gen, n), kind) for n, kind in
                 ((34, "eos"), (16, "bos"), (10, "cls"), (13, "none"), *tiny)]
        rev = [_with_boundary(_words(gen, n), kind) for n, kind in ((30, "eos"), (20, "none"))]
        if hidden:
            small = [_with_boundary(_words(gen, n), kind) for n, kind in
                     ((36, "eos"), (18, "both"), (11, "cls"), (15, "none"), (21, "bos"), *tiny)]
            rev = [_with_boundary(_words(gen, n), kind) for n, kind in ((33, "bos"), (22, "eos"))]
        # Statistics: bodies of 20 and 40 tokens (3 and 6 noise tokens in 1 and 2 spans at the
        # default settings): 48 rows x 4 calls, ~5,800 body tokens, ~290 spans. The noise share
        # is measured to +/- 2.4% (5 SE); exact-count code gives a mean span length of exactly 3.
        kinds = ("eos", "bos", "cls", "none")
        stats = [_with_boundary(_words(gen, (20, 40)[i % 2]), kinds[i % 4]) for i in range(48)]
        # Other settings: density 0.3, mean span length 2, bodies of 20 (6 noise tokens, 3 spans).
        other = [_with_boundary(_words(gen, 20), kinds[i % 4]) for i in range(40)]
        default = {"sentinel_ids": list(SENTINEL_IDS), "noise_density": 0.15, "mean_span_length": 3.0}
        descending = {**default, "sentinel_ids": list(SENTINEL_IDS[::-1])}
        params2 = {**default, "noise_density": 0.3, "mean_span_length": 2.0}
        return [
            self.make_case(gen, "small sequences", f"{len(small)} sequences of 4 to 37 tokens, "
                           f"sentinel_ids={list(SENTINEL_IDS)}, noise_density=0.15, "
                           "mean_span_length=3.0", small, default, stats=False, repeat=2, vary=7),
            self.make_case(gen, "sentinels in decreasing order", f"{len(rev)} sequences, "
                           f"sentinel_ids={list(SENTINEL_IDS[::-1])} (as in T5's vocabulary, "
                           "<extra_id_0> has the largest id)", rev, descending, stats=False, repeat=2),
            self.make_case(gen, "statistics, default parameters", f"{4 * len(stats)} calls on "
                           "sequences of 20 and 40 distinct tokens, noise_density=0.15, "
                           "mean_span_length=3.0", stats, default, stats=True, repeat=4),
            self.make_case(gen, "statistics, other parameters", f"{4 * len(other)} calls on "
                           "sequences of 20 distinct tokens, noise_density=0.3, mean_span_length=2.0",
                           other, params2, stats=True, repeat=4),
        ]

    def call(self, candidate, tokens, generator, params):
        return candidate(tokens, sentinel_ids=list(params["sentinel_ids"]),
                         noise_density=params["noise_density"],
                         mean_span_length=params["mean_span_length"], generator=generator)

    @staticmethod
    def spans(targets_body: list[int], sentinels: Sequence[int]) -> list[list[int]]:
        """The tokens after each sentinel of the targets (the last one is the final sentinel's)."""
        out: list[list[int]] = []
        for tok in targets_body:
            if tok in sentinels:
                out.append([])
            elif out:
                out[-1].append(tok)
        return out

    def check_call(self, x, outs, params):
        inputs, targets = outs
        sentinels = list(params["sentinel_ids"])
        head, body, tail = split_boundary(x)
        if tail and targets[len(targets) - len(tail):] != tail:
            return (f"the targets do not end with the trailing {_show(tail)}",
                    "targets_miss_end_tokens")
        in_body = inputs[len(head): len(inputs) - len(tail)]
        tg_body = targets[: len(targets) - len(tail)]
        in_sent = [t for t in in_body if t in sentinels or t in SENTINEL_IDS]
        tg_sent = [t for t in tg_body if t in sentinels or t in SENTINEL_IDS]
        k = len(in_sent)
        if k == 0:
            return ("the inputs hold no sentinel", "no_noise_span")
        if not tg_sent:
            return ("the targets hold no sentinel", "targets_without_sentinels")
        if len(in_sent) + len(tg_sent) > 2 and len(set(in_sent + tg_sent)) == 1:
            return (f"the same sentinel {in_sent[0]} stands for every span (and ends the targets)",
                    "reuses_one_sentinel")
        if in_sent != sentinels[:k]:
            if in_sent == list(SENTINEL_IDS[:k]):
                return (f"the inputs' sentinels are {in_sent}; sentinel_ids starts {sentinels[:k]}",
                        "ignores_sentinel_ids")
            return (f"the inputs' sentinels are {in_sent}; expected {sentinels[:k]}",
                    "sentinels_out_of_order")
        if tg_sent == sentinels[:k]:
            return (f"the targets hold the {k} sentinels of the inputs but not the final "
                    f"sentinel {sentinels[k]}", "missing_final_sentinel")
        if tg_sent != sentinels[: k + 1] or tg_body[:1] != sentinels[:1]:
            return (f"the targets' sentinels are {tg_sent}; expected {sentinels[: k + 1]} "
                    "(each span's sentinel, then a final one), the first one first",
                    "targets_do_not_match_inputs")
        spans = self.spans(tg_body, sentinels)
        rebuilt = [*head]
        for tok in in_body:
            rebuilt += spans[sentinels.index(tok)] if tok in sentinels else [tok]
        rebuilt += tail
        if rebuilt != x or spans[-1]:
            return ("putting each span back in place of its sentinel does not give the original "
                    "tokens", "does_not_reconstruct")
        if any(not s for s in spans[:-1]):
            return ("a sentinel stands for an empty span", "empty_span")
        if any(a in sentinels and b in sentinels
               for a, b in zip(in_body[:-1], in_body[1:], strict=True)):
            return ("two sentinels are neighbours in the inputs: two noise spans touch",
                    "spans_touch")
        return None

    def statistics(self, xs, outs, params):
        density, mu = params["noise_density"], params["mean_span_length"]
        sentinels = list(params["sentinel_ids"])
        lengths, n_total = [], 0
        for x, (_, targets) in zip(xs, outs, strict=True):
            _, body, tail = split_boundary(x)
            n_total += len(body)
            lengths += [len(s) for s in self.spans(targets[: len(targets) - len(tail)], sentinels)[:-1]]
        noise = sum(lengths)
        rate = noise / n_total
        band = _band(density, n_total)
        if abs(rate - density) > band:
            mid = _closest(rate, [("hardcoded_parameters", 0.15, _band(0.15, n_total))]) \
                if density != 0.15 else None
            return ("statistics", f"{noise} of {n_total} body tokens were noise = {_pct(rate)}; "
                    f"expected {_pct(density)} +/- {_pct(band)} (5 standard errors)",
                    mid or "wrong_noise_density")
        mean = noise / len(lengths)
        sd = math.sqrt(sum((v - mean) ** 2 for v in lengths) / max(len(lengths) - 1, 1))
        # Exact-count code (T5's rule) gives exactly mu on these bodies; the bound also admits
        # code that draws span lengths: 5 standard errors of the mean plus 0.1.
        bound = Z_BOUND * sd / math.sqrt(len(lengths)) + 0.1
        if abs(mean - mu) > bound:
            mid = "ignores_mean_span_length" if abs(mean - 1.0) < 0.05 else \
                "hardcoded_parameters" if mu != 3.0 and abs(mean - 3.0) < abs(mean - mu) else \
                "wrong_span_lengths"
            return ("statistics", f"{noise} noise tokens in {len(lengths)} spans: mean span length "
                    f"{mean:.2f}; expected {mu:g} +/- {bound:.2f}", mid)
        return None


# --------------------------------------------------------------------------- teacher forcing


@register
class ShiftRight(Harness):
    """``shift_right(labels (B, T), start_id, pad_id) -> decoder input (B, T)``."""

    lesson = LESSON
    name = "shift_right"
    title = "the decoder's input: <s> first, the labels shifted right, -100 turned into padding"
    hints = {"mutates_input": COMMON_HINTS["mutates_input"].replace("tokens", "labels")}

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        def labels(b: int, t: int, lengths: list[int]) -> torch.Tensor:
            out = torch.randint(15, 60, (b, t), generator=gen)
            for row, n in enumerate(lengths):
                out[row, n:] = IGNORE_INDEX
            return out

        if hidden:
            sizes = [(4, 7, [7, 3, 5, 1]), (3, 5, [2, 5, 4])]
            other_start, other_pad = int(torch.randint(7, 15, (1,), generator=gen)), 1
        else:
            sizes = [(3, 6, [6, 2, 4]), (2, 5, [3, 5])]
            other_start, other_pad = 2, 1
        out = []
        (b, t, lengths), (b2, t2, lengths2) = sizes
        y = labels(b, t, lengths)
        out.append(Case("padding in the middle", f"labels {(b, t)} with -100 after each row's "
                        f"end (row lengths {lengths}), start_id={BOS_ID}, pad_id={PAD_ID}",
                        {"labels": y}, {"start_id": BOS_ID, "pad_id": PAD_ID}))
        y = labels(b2, t2, lengths2)
        out.append(Case("other ids", f"labels {(b2, t2)}, row lengths {lengths2}, "
                        f"start_id={other_start}, pad_id={other_pad}", {"labels": y},
                        {"start_id": other_start, "pad_id": other_pad}))
        y = labels(2, 1, [1, 0])
        out.append(Case("one position", f"labels (2, 1), start_id={BOS_ID}, pad_id={PAD_ID}",
                        {"labels": y}, {"start_id": BOS_ID, "pad_id": PAD_ID}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"decoder_input": candidate(inputs["labels"], case.args["start_id"], case.args["pad_id"])}


@register
class Seq2SeqLoss(Harness):
    """``seq2seq_loss(logits (B, T, V), labels (B, T), reduction="mean" | "sum") -> scalar``."""

    lesson = LESSON
    name = "seq2seq_loss"
    title = "teacher-forced cross-entropy over the target tokens: per-token mean and sum"
    grad_inputs = ("logits",)
    # Measured (python -m tests.grader.test_denoising): the float32 bank of correct
    # alternatives against the float64 reference over 300 seeds, visible and hidden cases:
    # max abs error 7.9e-7 on "mean", 1.2e-5 on "sum" (relative 1.6e-7; sums reach ~70),
    # 6.5e-7 on the gradients. The tolerance is about 10x that.
    tolerance = Tolerance(atol=7e-6, rtol=2e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # Rows differ in their number of targets (a per-sequence mean differs from the
        # per-token one), the shortest in the middle of the batch; T != V.
        shapes = [((4, 7, 13), [7, 2, 5, 4]), ((3, 5, 9), [3, 1, 5])] if hidden else \
                 [((3, 6, 11), [6, 2, 4]), ((2, 4, 7), [4, 1])]
        out = []
        for (b, t, v), lengths in shapes:
            logits = 2.0 * torch.randn(b, t, v, generator=gen, dtype=torch.float64)
            labels = torch.randint(0, v, (b, t), generator=gen)
            for row, n in enumerate(lengths):
                labels[row, n:] = IGNORE_INDEX
            up = {"mean": torch.randn((), generator=gen, dtype=torch.float64),
                  "sum": torch.randn((), generator=gen, dtype=torch.float64)}
            name = f"{b} rows of {', '.join(map(str, lengths))} targets"
            out.append(Case(name, f"{name}: logits {(b, t, v)}, labels {(b, t)} with -100 after "
                            "each row's end; reduction 'mean' and 'sum'",
                            {"logits": logits, "labels": labels}, {}, up))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"mean": candidate(inputs["logits"], inputs["labels"], reduction="mean"),
                "sum": candidate(inputs["logits"], inputs["labels"], reduction="sum")}


# --------------------------------------------------------------------------- questions


@register
class PerTokenLoss(AnswerHarness):
    lesson = LESSON
    name = "per_token_loss"
    kind = "choice"
    question = ("Why is the denoising loss a sum (or mean) of one cross-entropy term per target "
                "token rather than one score for the whole reconstructed sentence? (one letter)")


@register
class InfillingHides(AnswerHarness):
    lesson = LESSON
    name = "infilling_hides"
    kind = "choice"
    question = ("What does text infilling (one [MASK] per span) hide from the model that token "
                "masking does not? (one letter)")


@register
class T5TargetSentinels(AnswerHarness):
    lesson = LESSON
    name = "t5_target_sentinels"
    kind = "int"
    question = ("T5 span corruption of a 40-token body with noise_density 0.15 and "
                "mean_span_length 3: how many sentinel tokens do the targets hold?")
