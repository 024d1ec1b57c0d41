"""Lesson 05's ``mask_tokens`` harness (BERT's masking: select 15% of the eligible
tokens, then 80% [MASK] / 10% random / 10% kept; Devlin et al. 2019, sec. 3.1).

``mask_tokens`` is randomised, so its harness overrides :meth:`Harness.judge`: the
verdict comes from invariants (determinism under an injected generator, labels,
special tokens, untouched positions) and from large-sample statistics with stated
bounds, never from the reference's draws. The hints of its mistakes live here
(``MASK_TOKENS_HINTS``): the judge names a mistake in the student's kernel too, and
the catalogue reuses exactly this text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, Mistake, Verdict, error_verdict
from ...harness import MUTATED_KEY, Case, Harness
from .. import register
from ._common import (
    CLS_ID,
    IGNORE_INDEX,
    LESSON,
    MASK_ID,
    NUM_SPECIAL,
    PAD_ID,
    SEP_ID,
    SPECIAL_IDS,
    UNK_ID,
)
from ._other_ids import (
    OTHER_MASK,
    OTHER_SPECIALS,
    OTHER_VOCAB,
    hardcoded_ids_problem,
    ids_of,
    other_sentences,
)

#: Specials that may sit inside a sentence ([UNK], <s>, </s>, sentinels): never selected either.
_INNER_SPECIALS = torch.tensor([UNK_ID, 5, 6, 7, 9, 14])
#: Bounds of every statistical check, in standard errors: a correct implementation
#: lands outside mean +/- 5 SE with probability below 1e-6 per quantity.
Z_BOUND = 5.0


def _seed(gen: torch.Generator) -> int:
    return int(torch.randint(0, 2**62, (1,), generator=gen))


def _sentences(gen: torch.Generator, b: int, t: int, vocab: int, min_len: int) -> torch.Tensor:
    """``(B, T)`` rows ``[CLS] w ... w [SEP] [PAD] ...``; words are non-special ids, with a
    few other specials ([UNK], <s>, sentinels ...) among them. Row 0 is full length."""
    lengths = torch.randint(min_len, t + 1, (b,), generator=gen)
    lengths[0] = t
    words = torch.randint(NUM_SPECIAL, vocab, (b, t), generator=gen)
    inner = _INNER_SPECIALS[torch.randint(len(_INNER_SPECIALS), (b, t), generator=gen)]
    words = torch.where(torch.rand(b, t, generator=gen) < 0.04, inner, words)
    ids = torch.full((b, t), PAD_ID, dtype=torch.long)
    for row, n in enumerate(lengths.tolist()):
        ids[row, :n] = words[row, :n]
        ids[row, 0], ids[row, n - 1] = CLS_ID, SEP_ID
    return ids


def _pack(values: torch.Tensor) -> torch.Tensor:
    """Integer outputs in the smallest dtype that holds them exactly (fixtures stay small)."""
    lo, hi = (int(values.min()), int(values.max())) if values.numel() else (0, 0)
    for dtype in (torch.int8, torch.int16, torch.int32):
        info = torch.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return values.to(dtype)
    return values.clone()


def _describe(value: Any) -> str:
    if type(value) is torch.Tensor:
        return f"tensor of dtype {value.dtype}"
    if isinstance(value, torch.Tensor):
        return f"tensor subclass {type(value).__name__}"
    return type(value).__name__


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


MASK_TOKENS_HINTS: dict[str, str] = {
    "wrong_return_type": "return a tuple (inputs, labels) of two torch.long tensors.",
    "wrong_dtype": "both outputs hold token ids: keep them torch.long (int64), e.g. start from "
    "input_ids.clone() and fill with ints.",
    "wrong_shape": "inputs and labels have the shape of input_ids, (B, T).",
    "outputs_swapped": "return (inputs, labels) in this order: the corrupted ids first, "
    "the labels (with -100) second.",
    "mutates_input": "input_ids must not change: corrupt a copy (inputs = input_ids.clone()).",
    "ignores_generator": "draw every random number from the generator you are given "
    "(torch.rand(..., generator=generator), torch.randint(..., generator=generator)); "
    "the global random state makes two runs with the same seed differ.",
    "fixed_internal_seed": "use the generator passed in; creating or re-seeding your own "
    "generator makes every call give the same masking.",
    "labels_not_ignored": "labels must be -100 at every position that was not selected, so "
    "that the loss ignores it; only selected positions keep their original id.",
    "labels_hold_mask_id": "a label is the token the model must recover: the ORIGINAL id from "
    "input_ids, not the [MASK] or random id that replaced it.",
    "labels_wrong_values": "at a selected position the label is the original id from "
    "input_ids; everywhere else it is -100.",
    "labels_inverted": "the -100s are the wrong way round: selected positions keep their "
    "original id as label, unselected ones get -100.",
    "labels_only_at_mask": "tokens replaced by a random id and tokens kept unchanged were "
    "selected too: they also carry their original id as label.",
    "selects_special_tokens": "special tokens ([PAD], [CLS], [SEP], [UNK], sentinels: every id "
    "in special_ids) are never selected, never changed, and their label is -100.",
    "changes_unselected": "only selected positions may change; every other input keeps its "
    "original id.",
    "random_from_full_vocab": "this course's spec draws random replacements from the ordinary "
    "(non-special) ids only, so that no [PAD], [CLS] or [MASK] lands inside a sentence. BERT's "
    "released code and the common data collators draw from the whole vocabulary, where the few "
    "specials are almost never picked; in the course's small vocabulary they often are, and "
    "the checks follow the course's spec: leave special_ids out of the draw.",
    "random_out_of_range": "random replacements must be ids in [0, vocab_size).",
    "same_random_token": "draw one random id per replaced position (a tensor of draws), not "
    "a single id for all of them.",
    "selection_count_over_all_positions": "15% is taken of the ELIGIBLE (non-special) tokens; "
    "counting padding and special positions as well selects too many real tokens.",
    "masks_15_percent_instead_of_selecting": "mlm_probability is the share of tokens SELECTED; "
    "only mask_replace_prob (80%) of those become [MASK], i.e. 12% of the tokens.",
    "selection_inverted": "a token is selected when its uniform draw is BELOW mlm_probability "
    "(rand < p selects a share p).",
    "hardcoded_token_ids": "read the ids from the arguments: mask_token_id is the id to write, "
    "special_ids the ids never to select, change or draw; numbers copied from the course "
    "tokenizer break with any other tokenizer.",
    "hardcoded_probabilities": "use the arguments mlm_probability, mask_replace_prob and "
    "random_replace_prob instead of fixed numbers.",
    "wrong_selection_rate": "each eligible token is selected with probability mlm_probability.",
    "no_random_or_keep": "of the selected tokens only 80% become [MASK]; 10% get a random id "
    "and 10% stay unchanged (so the model cannot rely on seeing [MASK]).",
    "no_kept_tokens": "the remaining 20% are split: half get a random id, half stay as they "
    "are (random_replace_prob = 0.1 of the selected, not all of the rest).",
    "no_random_tokens": "random_replace_prob (10%) of the selected tokens must get a random "
    "non-special id.",
    "mask_and_random_overlap": "the [MASK] and random choices must be disjoint, sharing one "
    "selection: either split ONE uniform draw into [0, 0.8) / [0.8, 0.9) / [0.9, 1), or pick "
    "random among the non-[MASK] selected ones with probability 0.1 / (1 - 0.8) = 0.5.",
    "wrong_replacement_split": "of the selected tokens, mask_replace_prob become [MASK], "
    "random_replace_prob a random id, and the rest stay unchanged.",
}


@register
class MaskTokensHarness(Harness):
    """``mask_tokens(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability,
    mask_replace_prob, random_replace_prob, generator) -> (inputs, labels)``."""

    lesson = LESSON
    name = "mask_tokens"
    title = "BERT masking: select 15%, then 80% [MASK] / 10% random / 10% kept"
    hints = MASK_TOKENS_HINTS

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        def case(name: str, ids: torch.Tensor, vocab: int, calls: tuple[str, ...], *, stats: bool,
                 probs: tuple[float, float, float] = (0.15, 0.8, 0.1), other_ids: bool = False) -> Case:
            first, other = _seed(gen), _seed(gen)
            seeds = {"first": first, "again": first, "other": other}
            args = {"vocab_size": vocab, "probs": list(probs), "stats": stats,
                    "calls": {c: seeds[c] for c in calls}}
            specials = f"0..{NUM_SPECIAL - 1}"
            if other_ids:
                args.update(mask_id=OTHER_MASK, special_ids=list(OTHER_SPECIALS))
                specials = f"{OTHER_SPECIALS}, mask_token_id {OTHER_MASK}"
            p, pm, pr = probs
            describe = (f"{name}: input_ids {tuple(ids.shape)}, vocab_size {vocab}, special ids "
                        f"{specials}, mlm_probability {p}, mask_replace_prob {pm}, "
                        f"random_replace_prob {pr}")
            return Case(name, describe, {"input_ids": _pack(ids)}, args)

        small = (4, 12, 70) if hidden else (3, 10, 60)
        stats_rows = 256 if hidden else 192
        return [
            case("small batch", _sentences(gen, small[0], small[1], small[2], 5), small[2],
                 ("first", "again"), stats=False),
            case("same seed twice, another seed once", _sentences(gen, 8, 40, 60, 10), 60,
                 ("first", "again", "other"), stats=False),
            # ~8,000 eligible tokens: the selection rate is measured to +/- 2% (5 SE),
            # the 80/10/10 split (over ~1,200 selected tokens) to about +/- 5.5%.
            case("statistics, default probabilities", _sentences(gen, stats_rows, 64, 40, 24), 40,
                 ("first",), stats=True),
            # Other probabilities, so that fixed numbers in the code show.
            case("statistics, other probabilities", _sentences(gen, 64, 64, 40, 24), 40,
                 ("first",), stats=True, probs=(0.3, 0.5, 0.25)),
            # Another tokenizer's ids (BERT's uncased layout), so that fixed ids in the code show.
            case("another tokenizer's special ids", other_sentences(gen, 32, 24), OTHER_VOCAB,
                 ("first",), stats=False, other_ids=True),
        ]

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        original = inputs["input_ids"].long()
        p, pm, pr = case.args["probs"]
        out: dict[str, Any] = {}
        for call, seed in case.args["calls"].items():
            # The first call gets the tensor the mutation check watches; later calls a fresh copy.
            ids = original.clone()
            mask_id, specials = ids_of(case)
            result = candidate(ids, mask_token_id=mask_id, vocab_size=case.args["vocab_size"],
                               special_ids=list(specials), mlm_probability=p,
                               mask_replace_prob=pm, random_replace_prob=pr,
                               generator=torch.Generator().manual_seed(seed))
            if call == "first" and not torch.equal(ids, original):
                out[MUTATED_KEY] = "input_ids"
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                out[f"{call}:form"] = _describe(result) + (
                    f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
                continue
            out[f"{call}:form"] = "pair"
            for key, value in zip(("inputs", "labels"), result, strict=True):
                out[f"{call}:{key}:type"] = _describe(value)
                if type(value) is torch.Tensor and not value.is_floating_point() \
                        and not value.is_complex() and value.dtype != torch.bool:
                    out[f"{call}:{key}"] = _pack(value.detach().cpu())
        return out

    # --- judging --------------------------------------------------------------
    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"mask_tokens on {where} ({case.describe})"
        if ERROR_KEY in got:
            return error_verdict(str(got[ERROR_KEY]), context)
        found = self._problem(got, case)
        if found is None:
            return Verdict(True, f"passed: {context}")
        layer, message, mid = found
        hint = next((m.hint for m in mistakes if m.id == mid), None) or self.hints.get(mid, "")
        lines = [f"FAILED ({layer}) {context}", message] + ([f"Hint: {hint}"] if hint else [])
        return Verdict(False, "\n".join(lines), mid, layer)

    def _problem(self, got: Mapping[str, Any], case: Case) -> tuple[str, str, str] | None:
        """The first failing check as (layer, what was measured, mistake id), or None."""
        original = case.inputs["input_ids"].long()
        shape = tuple(original.shape)
        outs: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        for call in case.args["calls"]:
            form = got.get(f"{call}:form")
            if form != "pair":
                return ("type", f"expected a tuple (inputs, labels), got {form}", "wrong_return_type")
            pair = []
            for key in ("inputs", "labels"):
                kind = got.get(f"{call}:{key}:type")
                if not isinstance(kind, str) or not kind.startswith("tensor of dtype"):
                    return ("type", f"'{key}': expected a torch.Tensor, got {kind}",
                            "wrong_return_type")
                if kind != "tensor of dtype torch.int64":
                    return ("type", f"'{key}': expected dtype torch.int64, got {kind[len('tensor of dtype '):]}",
                            "wrong_dtype")
                value = got.get(f"{call}:{key}")
                if type(value) is not torch.Tensor:
                    return ("type", f"'{key}': no values were recorded", "wrong_return_type")
                if tuple(value.shape) != shape:
                    return ("shape", f"'{key}': expected shape {shape} (that of input_ids), got "
                            f"{tuple(value.shape)}", "wrong_shape")
                pair.append(value.long())
            outs[call] = (pair[0], pair[1])
        if MUTATED_KEY in got:
            return ("property", "your function changed input_ids in place", "mutates_input")
        inputs, labels = outs["first"]
        if "again" in outs and not all(torch.equal(a, b) for a, b in zip(outs["first"], outs["again"], strict=True)):
            return ("property", "two calls with generators seeded alike gave different results",
                    "ignores_generator")
        if "other" in outs and all(torch.equal(a, b) for a, b in zip(outs["first"], outs["other"], strict=True)):
            return ("property", f"calls with two different seeds gave identical results on "
                    f"{original.numel()} positions", "fixed_internal_seed")
        return hardcoded_ids_problem(original, inputs, labels, case) \
            or self._check_labels_and_tokens(original, inputs, labels, case) \
            or (self._check_statistics(original, inputs, labels, case) if case.args["stats"] else None)

    @staticmethod
    def _at(mask: torch.Tensor) -> tuple[int, ...]:
        return tuple(int(i) for i in mask.nonzero()[0])

    def _check_labels_and_tokens(self, x: torch.Tensor, y: torch.Tensor, labels: torch.Tensor,
                                 case: Case) -> tuple[str, str, str] | None:
        mask_id, specials = ids_of(case)
        special = torch.isin(x, torch.tensor(specials))
        selected = labels != IGNORE_INDEX
        changed = y != x
        n_eligible = int((~special).sum())
        if bool((y == IGNORE_INDEX).any()) and not bool((labels == IGNORE_INDEX).any()):
            return ("property", "the first output holds -100 and the second none: they look "
                    "swapped", "outputs_swapped")
        if bool(selected[~special].all()):
            return ("property", f"labels hold an id at all {n_eligible} eligible positions; expected "
                    "-100 wherever a token was not selected", "labels_not_ignored")
        bad = selected & (labels != x)
        if bad.any():
            at = self._at(bad)
            msg = (f"at position {at} the label is {int(labels[at])}, but the original id there is "
                   f"{int(x[at])} ({int(bad.sum())} such positions)")
            if bool((labels[bad] == y[bad]).all()):
                return ("property", msg + "; the labels copy the corrupted inputs", "labels_hold_mask_id")
            return ("property", msg, "labels_wrong_values")
        if changed.any() and selected.any() and not selected[changed].any():
            return ("property", f"{int(changed.sum())} positions were changed, and every one of them "
                    "has label -100, while unchanged positions carry labels", "labels_inverted")
        if (selected & special).any() or (changed & special).any():
            at = self._at((selected | changed) & special)
            return ("property", f"the special token {int(x[at])} at position {at} was selected "
                    f"(label {int(labels[at])}, input now {int(y[at])})", "selects_special_tokens")
        if (changed & ~selected).any():
            at = self._at(changed & ~selected)
            masked = y == mask_id
            if bool((selected == masked).all()):
                return ("property", f"position {at} changed from {int(x[at])} to {int(y[at])} but "
                        "has label -100: only [MASK] positions carry labels", "labels_only_at_mask")
            return ("property", f"position {at} has label -100 (not selected) but its id changed "
                    f"from {int(x[at])} to {int(y[at])}", "changes_unselected")
        vocab = case.args["vocab_size"]
        randomised = changed & (y != mask_id)
        if ((y < 0) | (y >= vocab))[randomised].any():
            at = self._at(randomised & ((y < 0) | (y >= vocab)))
            return ("property", f"position {at} was replaced by id {int(y[at])}, outside [0, {vocab})",
                    "random_out_of_range")
        bad_random = randomised & torch.isin(y, torch.tensor(specials))
        if bad_random.any():
            at = self._at(bad_random)
            return ("property", f"position {at} was replaced by the special id {int(y[at])} "
                    f"({int(bad_random.sum())} of {int(randomised.sum())} random replacements are special)",
                    "random_from_full_vocab")
        return None

    def _check_statistics(self, x: torch.Tensor, y: torch.Tensor, labels: torch.Tensor,
                          case: Case) -> tuple[str, str, str] | None:
        p, pm, pr = case.args["probs"]
        special = torch.isin(x, torch.tensor(SPECIAL_IDS))
        selected = labels != IGNORE_INDEX
        n_eligible, n_total = int((~special).sum()), x.numel()
        n_sel = int(selected.sum())
        rate = n_sel / n_eligible

        # Selection: each eligible token is selected with probability p, so the rate over
        # n_eligible tokens has standard error sqrt(p (1 - p) / n_eligible).
        def band(mean: float, n: int) -> float:
            return Z_BOUND * math.sqrt(mean * (1 - mean) / n) + 0.5 / n

        if abs(rate - p) > band(p, n_eligible):
            rivals = [("selection_count_over_all_positions", min(1.0, p * n_total / n_eligible)),
                      ("masks_15_percent_instead_of_selecting", min(1.0, p / pm)),
                      ("selection_inverted", 1 - p), ("hardcoded_probabilities", 0.15)]
            mid = _closest(rate, [(m, e, band(e, n_eligible)) for m, e in rivals if abs(e - p) > 1e-9])
            return ("statistics", f"selected {n_sel} of {n_eligible} eligible tokens = {_pct(rate)}; "
                    f"expected {_pct(p)} +/- {_pct(band(p, n_eligible))} (5 standard errors)",
                    mid or "wrong_selection_rate")

        # The split of the selected tokens. A random draw equals the original id 1 time in
        # n_words (uniform over the non-special ids), and then the token looks kept.
        n_words = case.args["vocab_size"] - NUM_SPECIAL
        to_mask = selected & (y == MASK_ID)
        to_random = selected & (y != x) & (y != MASK_ID)
        kept = selected & (y == x)
        got = [int(to_mask.sum()) / n_sel, int(to_random.sum()) / n_sel, int(kept.sum()) / n_sel]

        def shares(m: float, r: float) -> list[float]:
            return [m, r * (1 - 1 / n_words), 1 - m - r + r / n_words]

        def fits(m: float, r: float) -> bool:
            return all(abs(g - e) <= band(e, n_sel) for g, e in zip(got, shares(m, r), strict=True))

        if not fits(pm, pr):
            expected = shares(pm, pr)
            rivals = [("no_random_or_keep", 1.0, 0.0), ("no_kept_tokens", pm, 1 - pm),
                      ("no_random_tokens", pm, 0.0), ("mask_and_random_overlap", pm, pr * (1 - pm)),
                      ("hardcoded_probabilities", 0.8, 0.1)]
            mid = next((m for m, a, b in rivals if (a, b) != (pm, pr) and fits(a, b)),
                       "wrong_replacement_split")
            shown = ", ".join(f"{_pct(e)} +/- {_pct(band(e, n_sel))}" for e in expected)
            return ("statistics", f"of {n_sel} selected tokens: {_pct(got[0])} became [MASK], "
                    f"{_pct(got[1])} a random id, {_pct(got[2])} unchanged;\n  expected {shown} "
                    f"(5 standard errors; a random id equals the original 1 time in {n_words})", mid)
        random_ids = y[to_random]
        if random_ids.numel() >= 20 and int(random_ids.unique().numel()) == 1:
            return ("statistics", f"all {random_ids.numel()} random replacements are the id "
                    f"{int(random_ids[0])}", "same_random_token")
        return None


def _closest(value: float, rivals: list[tuple[str, float, float]]) -> str | None:
    """The rival hypothesis (id, mean, bound) nearest to ``value`` within its bound, if any."""
    inside = [(abs(value - mean) / bound, mid) for mid, mean, bound in rivals if abs(value - mean) <= bound]
    return min(inside)[1] if inside else None
