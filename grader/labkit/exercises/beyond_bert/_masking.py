"""What the two masking judges of lesson 11 share (``span_masking``, ``whole_word_masking``):
recording ``(inputs, labels)`` of several seeded calls, and the exact checks every call must
pass (form, dtype, shape, the input untouched, seeds, labels, special tokens, unselected
tokens unchanged, random ids ordinary). Like lesson 05's ``mask_tokens``, the hints live
here and the catalogue reuses exactly this text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from ...compare import Mistake, Verdict
from ...harness import MUTATED_KEY, Case, Harness
from ._common import (
    IGNORE_INDEX,
    MASK_ID,
    PAD_ID,
    SPECIAL_IDS,
    _describe,
    _is_int_tensor,
    _pack,
    random_verdict,
)

#: Another tokenizer's ids, BERT's uncased WordPiece layout ([PAD] 0, [UNK] 100, [CLS] 101,
#: [SEP] 102, [MASK] 103), so that an answer writing the course's ids into its code shows.
OTHER_UNK, OTHER_CLS, OTHER_SEP, OTHER_MASK = 100, 101, 102, 103
OTHER_SPECIALS = [PAD_ID, OTHER_UNK, OTHER_CLS, OTHER_SEP, OTHER_MASK]
OTHER_VOCAB = 130
COURSE_VOCAB = 60

COMMON_HINTS: dict[str, str] = {
    "wrong_return_type": "return a tuple (inputs, labels) of two torch.long tensors.",
    "wrong_dtype": "both outputs hold token ids: keep them torch.long (int64), e.g. start from "
    "input_ids.clone() and fill with ints.",
    "wrong_shape": "inputs and labels have the shape of input_ids, (B, T).",
    "mutates_input": "input_ids must not change: corrupt a copy (inputs = input_ids.clone()).",
    "ignores_generator": "draw every random number from the generator you are given "
    "(torch.rand(..., generator=generator), torch.randint(..., generator=generator)); the global "
    "random state makes two runs with the same seed differ.",
    "fixed_internal_seed": "use the generator passed in; creating or re-seeding your own generator "
    "makes every call give the same masking.",
    "labels_not_ignored": "labels must be -100 at every position that was not selected; only "
    "selected positions keep their original id.",
    "labels_hold_corrupted": "a label is the token the model must recover: the ORIGINAL id from "
    "input_ids, not the [MASK] or random id that replaced it.",
    "labels_wrong_values": "at a selected position the label is the original id from input_ids; "
    "everywhere else it is -100.",
    "selects_special_tokens": "special tokens ([PAD], [CLS], [SEP], [UNK]: every id in "
    "special_ids) are never selected, never changed, and their label is -100.",
    "changes_unselected": "only selected positions may change; every other input keeps its id, "
    "and a token that was selected (even one left unchanged) carries its label.",
    "random_id_special": "random replacements are drawn from the ordinary ids only: leave "
    "special_ids out of the draw, so that no [PAD] or [CLS] lands inside a sentence.",
    "hardcoded_token_ids": "read the ids from the arguments: mask_token_id is the id to write, "
    "special_ids the ids never to select or draw, vocab_size the range of the draws; numbers "
    "copied from the course tokenizer break with any other tokenizer.",
}


def other_rows(gen: torch.Generator, b: int, t: int) -> torch.Tensor:
    """``(B, T)`` rows ``[CLS] w ... w [SEP] [PAD] ...`` in the other layout; the words are
    every non-special id (the course's special ids 1..14 among them), with a few [UNK]."""
    words = torch.tensor([i for i in range(OTHER_VOCAB) if i not in OTHER_SPECIALS])
    lengths = torch.randint(t // 2, t + 1, (b,), generator=gen)
    lengths[0] = t
    picked = words[torch.randint(len(words), (b, t), generator=gen)]
    picked = torch.where(torch.rand(b, t, generator=gen) < 0.03, OTHER_UNK, picked)
    ids = torch.full((b, t), PAD_ID, dtype=torch.long)
    for row, n in enumerate(lengths.tolist()):
        ids[row, :n] = picked[row, :n]
        ids[row, 0], ids[row, n - 1] = OTHER_CLS, OTHER_SEP
    return ids


def ids_of(case: Case) -> tuple[int, list[int], int]:
    """The case's ``(mask_token_id, special_ids, vocab_size)``: the course's unless it says."""
    if case.args.get("other_ids"):
        return OTHER_MASK, OTHER_SPECIALS, OTHER_VOCAB
    return MASK_ID, SPECIAL_IDS, COURSE_VOCAB


def id_args(case: Case) -> str:
    """The ids of the case, in words for its description."""
    if case.args.get("other_ids"):
        return f"vocab_size {OTHER_VOCAB}, special ids {OTHER_SPECIALS}, mask_token_id {OTHER_MASK}"
    return f"vocab_size {COURSE_VOCAB}, special ids 0..{len(SPECIAL_IDS) - 1}, mask_token_id {MASK_ID}"


def hardcoded_problem(x: torch.Tensor, y: torch.Tensor, labels: torch.Tensor,
                      case: Case) -> tuple[str, str, str] | None:
    """In a case with another tokenizer's ids: the course's ids used instead of the arguments
    ([CLS] and [SEP] selected while the course's special ids, ordinary words here, never are;
    or the course's [MASK] written)."""
    mask_id, specials, _ = ids_of(case)
    if mask_id == MASK_ID:
        return None
    selected = labels != IGNORE_INDEX
    touched = selected | (y != x)
    only_here = torch.isin(x, torch.tensor([i for i in specials if i not in SPECIAL_IDS]))
    course_words = torch.isin(x, torch.tensor([i for i in SPECIAL_IDS if i not in specials]))
    if bool((touched & only_here).any()) and not bool((touched & course_words).any()):
        return ("property", f"the special ids {specials} were passed in, but "
                f"{int((touched & only_here).sum())} of them were selected or changed while the "
                "course's own special ids (ordinary words here) never were", "hardcoded_token_ids")
    course_mask = selected & (y == MASK_ID) & (x != MASK_ID)
    if not bool((selected & (y == mask_id)).any()) and int(course_mask.sum()) >= 3:
        return ("property", f"mask_token_id was {mask_id}, but {int(course_mask.sum())} selected tokens "
                f"became {MASK_ID} (the course tokenizer's [MASK]) and none became {mask_id}",
                "hardcoded_token_ids")
    return None


def _sel_at(mask: torch.Tensor) -> tuple[int, ...]:
    return tuple(int(i) for i in mask.nonzero()[0])


def record_calls(candidate: Callable[..., Any], original: torch.Tensor, case: Case,
                 call: Callable[[Any, torch.Tensor, torch.Generator], Any]) -> dict[str, Any]:
    """Run ``call(candidate, ids, generator)`` once per seed of ``case.args["calls"]`` and
    record each ``(inputs, labels)`` as plain packed tensors with the form and dtypes."""
    out: dict[str, Any] = {}
    for name, seed in case.args["calls"].items():
        ids = original.clone()
        result = call(candidate, ids, torch.Generator().manual_seed(seed))
        if name == "first" and not torch.equal(ids, original):
            out[MUTATED_KEY] = "input_ids"
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            out[f"{name}:form"] = _describe(result) + (
                f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
            continue
        out[f"{name}:form"] = "pair"
        for key, value in zip(("inputs", "labels"), result, strict=True):
            out[f"{name}:{key}:type"] = _describe(value)
            if _is_int_tensor(value):
                out[f"{name}:{key}"] = _pack(value.detach().cpu())
    return out


def read_calls(got: Mapping[str, Any], case: Case, shape: tuple[int, ...]
               ) -> tuple[dict[str, tuple[torch.Tensor, torch.Tensor]], tuple[str, str, str] | None]:
    """The recorded pairs by call, or the first problem of form, dtype or shape."""
    outs: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    for name in case.args["calls"]:
        form = got.get(f"{name}:form")
        if form != "pair":
            return outs, ("type", f"expected a tuple (inputs, labels), got {form}", "wrong_return_type")
        pair = []
        for key in ("inputs", "labels"):
            kind = got.get(f"{name}:{key}:type")
            if not isinstance(kind, str) or not kind.startswith("tensor of dtype"):
                return outs, ("type", f"'{key}': expected a torch.Tensor, got {kind}", "wrong_return_type")
            if kind != "tensor of dtype torch.int64":
                return outs, ("type", f"'{key}': expected dtype torch.int64, got "
                              f"{kind[len('tensor of dtype '):]}", "wrong_dtype")
            value = got.get(f"{name}:{key}")
            if type(value) is not torch.Tensor:
                return outs, ("type", f"'{key}': no values were recorded", "wrong_return_type")
            if tuple(value.shape) != shape:
                return outs, ("shape", f"'{key}': expected shape {shape} (that of input_ids), got "
                              f"{tuple(value.shape)}", "wrong_shape")
            pair.append(value.long())
        outs[name] = (pair[0], pair[1])
    return outs, None


def seeded_problem(got: Mapping[str, Any], outs: dict[str, tuple[torch.Tensor, torch.Tensor]],
                   n: int) -> tuple[str, str, str] | None:
    """The input changed in place, two calls seeded alike that differ, or two seeds alike."""
    if MUTATED_KEY in got:
        return ("property", "your function changed input_ids in place", "mutates_input")
    first = outs["first"]
    if "again" in outs and not all(torch.equal(a, b) for a, b in zip(first, outs["again"], strict=True)):
        return ("property", "two calls with generators seeded alike gave different results",
                "ignores_generator")
    if "other" in outs and all(torch.equal(a, b) for a, b in zip(first, outs["other"], strict=True)):
        return ("property", f"calls with two different seeds gave identical results on {n} positions",
                "fixed_internal_seed")
    return None


def labels_problem(x: torch.Tensor, y: torch.Tensor, labels: torch.Tensor,
                   case: Case) -> tuple[str, str, str] | None:
    """Labels, special tokens, unselected tokens and random ids of one call."""
    found = hardcoded_problem(x, y, labels, case)
    if found:
        return found
    mask_id, specials, vocab_size = ids_of(case)
    special = torch.isin(x, torch.tensor(specials))
    selected = labels != IGNORE_INDEX
    changed = y != x
    if bool(selected[~special].all()):
        return ("property", f"labels hold an id at all {int((~special).sum())} ordinary positions; "
                "expected -100 wherever a token was not selected", "labels_not_ignored")
    bad = selected & (labels != x)
    if bad.any():
        at = _sel_at(bad)
        msg = (f"at position {at} the label is {int(labels[at])}, but the original id there is "
               f"{int(x[at])} ({int(bad.sum())} such positions)")
        if bool((labels[bad] == y[bad]).all()):
            return ("property", msg + "; the labels copy the corrupted inputs", "labels_hold_corrupted")
        return ("property", msg, "labels_wrong_values")
    if ((selected | changed) & special).any():
        at = _sel_at((selected | changed) & special)
        return ("property", f"the special token {int(x[at])} at position {at} was selected "
                f"(label {int(labels[at])}, input now {int(y[at])})", "selects_special_tokens")
    if (changed & ~selected).any():
        at = _sel_at(changed & ~selected)
        return ("property", f"position {at} has label -100 (not selected) but its id changed from "
                f"{int(x[at])} to {int(y[at])}", "changes_unselected")
    randomised = changed & (y != mask_id)
    bad = randomised & (torch.isin(y, torch.tensor(specials)) | (y < 0) | (y >= vocab_size))
    if bad.any():
        at = _sel_at(bad)
        return ("property", f"position {at} was replaced by the id {int(y[at])}, which is special or "
                f"outside [0, {vocab_size})", "random_id_special")
    return None


def shares(x: torch.Tensor, y: torch.Tensor, selected: torch.Tensor) -> tuple[float, float, float]:
    """The shares of the selected tokens that became [MASK], another id, or stayed."""
    n = max(int(selected.sum()), 1)
    masked = int((selected & (y == MASK_ID)).sum())
    other = int((selected & (y != x) & (y != MASK_ID)).sum())
    return masked / n, other / n, 1 - (masked + other) / n


class MaskingHarness(Harness):
    """What span and whole-word masking share: the judge of a randomised masking function.
    It reads the recorded calls, checks seeding and the labels, then hands the first call's
    outputs to ``checks``, the exercise's own invariants and statistics."""

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"{self.name} on {where} ({case.describe})"
        return random_verdict(None if "__error__" in got else self._problem(got, case), got, mistakes,
                              self.hints, context)

    def _problem(self, got: Mapping[str, Any], case: Case) -> tuple[str, str, str] | None:
        x = case.inputs["input_ids"].long()
        outs, found = read_calls(got, case, tuple(x.shape))
        if found:
            return found
        found = seeded_problem(got, outs, x.numel())
        if found:
            return found
        y, labels = outs["first"]
        return labels_problem(x, y, labels, case) or self.checks(x, y, labels, case)

    def checks(self, x: torch.Tensor, y: torch.Tensor, labels: torch.Tensor, case: Case
               ) -> tuple[str, str, str] | None:
        """The exercise's own problem with the first call's (inputs, labels), or None."""
        raise NotImplementedError
