"""Lesson 11's ``discriminator_inputs`` harness (ELECTRA: sample the generator's prediction at
each masked position; label 1 where the token differs from the original; Clark et al. 2020).

Randomised: :meth:`judge` checks the exact invariants of every call (dtype, shape, seeds, the
inputs untouched, unmasked positions kept, labels equal to "differs from the original") and,
on the statistics case (2,300 to 4,400 masked positions sharing one distribution over 6 tokens, raw
logits offset per position), each token's share of the samples within 5 standard errors. A
histogram that fits a rival (the argmax, a uniform draw, weights proportional to the raw
logits) names it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Mistake, Verdict
from ...harness import MUTATED_KEY, Case, Harness
from .. import register
from ._common import (
    IGNORE_INDEX,
    LESSON,
    Z_BOUND,
    _describe,
    _is_int_tensor,
    _pack,
    _randn,
    _seed,
    random_verdict,
)

DISC_HINTS: dict[str, str] = {
    "wrong_return_type": "return a tuple (disc_inputs, disc_labels) of two torch.long tensors.",
    "wrong_dtype": "both outputs are integer tensors: token ids, and labels 0 / 1 as torch.long "
    "(e.g. (disc_inputs != input_ids).long()).",
    "wrong_shape": "disc_inputs and disc_labels have the shape of input_ids, (B, T).",
    "mutates_input": "leave input_ids, labels and generator_logits as they are: work on a copy "
    "(a .clone() of input_ids).",
    "ignores_generator": "draw the samples from the generator you are given "
    "(torch.multinomial(probs, 1, generator=generator)); the global random state makes two calls "
    "with the same seed differ.",
    "fixed_internal_seed": "use the generator passed in; a generator of your own, seeded inside "
    "the function, samples the same tokens on every call.",
    "changes_unmasked": "only the masked positions (labels != -100) get a sampled token; every "
    "other position keeps its original id.",
    "not_sampled": "at each masked position put a token SAMPLED from the generator's distribution "
    "there, softmax(generator_logits[b, t]).",
    "sampled_original_counts_as_replaced": "a sampled token equal to the original counts as "
    "ORIGINAL (label 0): the discriminator is asked whether the token was changed, and it was "
    "not. Label 1 where disc_inputs != input_ids.",
    "labels_inverted": "label 1 means REPLACED (the token differs from the original), 0 means "
    "original.",
    "labels_wrong": "disc_labels is 1 exactly where disc_inputs differs from input_ids, 0 "
    "everywhere else.",
    "argmax_not_sampled": "SAMPLE from the generator's distribution (torch.multinomial); taking "
    "the most likely token makes the replacements too easy to spot and always the same.",
    "sampled_uniformly": "sample from the generator's distribution at that position, "
    "softmax(generator_logits[b, t]) over the vocabulary, not uniformly.",
    "sampled_from_raw_logits": "logits are unnormalised scores: turn them into probabilities with "
    "a softmax over the vocabulary before sampling.",
    "wrong_sample_distribution": "sample each masked position's token from softmax(generator_logits"
    "[b, t]) over the vocabulary (the last axis), one draw per masked position.",
}
#: The statistics case: one distribution over 6 tokens at every masked position.
PROBS = [0.42, 0.25, 0.15, 0.1, 0.05, 0.03]
OFFSET = 7.0  # raw logits log(q) + 7 + noise per position are positive: proportional weights differ


@register
class DiscriminatorInputsHarness(Harness):
    """``discriminator_inputs(input_ids (B, T), labels (B, T), generator_logits (B, T, V), *,
    generator) -> (disc_inputs, disc_labels)``."""

    lesson = LESSON
    name = "discriminator_inputs"
    title = "ELECTRA: samples from the generator at the masked positions, and labels"
    hints = DISC_HINTS

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        def case(name: str, ids: torch.Tensor, masked: torch.Tensor, logits: torch.Tensor,
                 calls: tuple[str, ...], stats: bool) -> Case:
            first, other = _seed(gen), _seed(gen)
            seeds = {"first": first, "again": first, "other": other}
            labels = ids.masked_fill(~masked, IGNORE_INDEX)
            b, t, v = logits.shape
            return Case(name, f"{name}: input_ids {(b, t)}, labels {(b, t)} (-100 where not masked), "
                        f"generator_logits {(b, t, v)}", {"input_ids": _pack(ids), "labels": _pack(labels),
                        "generator_logits": logits}, {"stats": stats, "calls": {c: seeds[c] for c in calls}})

        out = []
        for name, (b, t, v), calls in (("small batch", (3, 10, 12), ("first", "again")),
                                       ("same seed twice, another seed once", (6, 20, 9),
                                        ("first", "again", "other"))):
            ids = torch.randint(0, v, (b, t), generator=gen)
            masked = torch.rand(b, t, generator=gen) < 0.4
            masked[0, :2] = True
            # Peaked rows: the original is often the likely token, so some samples keep it.
            logits = _randn(gen, b, t, v, scale=1.5)
            logits.scatter_add_(2, ids[..., None], torch.full((b, t, 1), 2.5, dtype=torch.float64))
            out.append(case(name, ids, masked, logits, calls, False))
        b, t = (40, 200) if hidden else (30, 140)
        ids = torch.randint(0, 3, (b, t), generator=gen)
        masked = torch.rand(b, t, generator=gen) < 0.55
        logits = torch.log(torch.tensor(PROBS, dtype=torch.float64)).expand(b, t, 6) + OFFSET
        logits = logits + _randn(gen, b, t, 1, scale=0.3)  # the same softmax, other raw values
        out.append(case("statistics", ids, masked, logits, ("first",), True))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        ids, labels = inputs["input_ids"].long(), inputs["labels"].long()
        logits = inputs["generator_logits"]
        out: dict[str, Any] = {}
        for call, seed in case.args["calls"].items():
            before = (ids.clone(), labels.clone(), logits.detach().clone())
            result = candidate(ids, labels, logits, generator=torch.Generator().manual_seed(seed))
            if not all(torch.equal(a, b) for a, b in zip(before, (ids, labels, logits.detach()), strict=True)):
                out[MUTATED_KEY] = "input_ids, labels or generator_logits"
                ids, labels = before[0].clone(), before[1].clone()
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                out[f"{call}:form"] = _describe(result)
                continue
            out[f"{call}:form"] = "pair"
            for key, value in zip(("inputs", "labels"), result, strict=True):
                out[f"{call}:{key}:type"] = _describe(value)
                if _is_int_tensor(value):
                    out[f"{call}:{key}"] = _pack(value.detach().cpu())
        return out

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"discriminator_inputs on {where} ({case.describe})"
        return random_verdict(None if "__error__" in got else self._problem(got, case), got, mistakes,
                              self.hints, context)

    def _problem(self, got: Mapping[str, Any], case: Case) -> tuple[str, str, str] | None:
        x = case.inputs["input_ids"].long()
        masked = case.inputs["labels"].long() != IGNORE_INDEX
        outs = {}
        for call in case.args["calls"]:
            if got.get(f"{call}:form") != "pair":
                return ("type", f"expected a tuple (disc_inputs, disc_labels), got {got.get(f'{call}:form')}",
                        "wrong_return_type")
            pair = []
            for key in ("inputs", "labels"):
                kind = str(got.get(f"{call}:{key}:type"))
                if kind != "tensor of dtype torch.int64":
                    mid = "wrong_dtype" if kind.startswith("tensor of dtype") else "wrong_return_type"
                    return ("type", f"'disc_{key}': expected a torch.long tensor, got {kind}", mid)
                if tuple(got[f"{call}:{key}"].shape) != tuple(x.shape):
                    return ("shape", f"'disc_{key}': expected shape {tuple(x.shape)}, got "
                            f"{tuple(got[f'{call}:{key}'].shape)}", "wrong_shape")
                pair.append(got[f"{call}:{key}"].long())
            outs[call] = pair
        if MUTATED_KEY in got:
            return ("property", f"your function changed {got[MUTATED_KEY]} in place", "mutates_input")
        if "again" in outs and not all(torch.equal(a, b) for a, b in zip(outs["first"], outs["again"], strict=True)):
            return ("property", "two calls with generators seeded alike gave different samples", "ignores_generator")
        if "other" in outs and torch.equal(outs["first"][0], outs["other"][0]):
            y = outs["first"][0]
            best = case.inputs["generator_logits"].argmax(-1)
            if torch.equal(y[masked], best[masked]):
                return ("property", "two different seeds gave the same tokens, the most likely one at "
                        "every masked position", "argmax_not_sampled")
            if torch.equal(y, x):
                return ("property", "every masked position kept its original token: nothing was "
                        "sampled", "not_sampled")
            return ("property", "two different seeds gave the same samples", "fixed_internal_seed")
        y, lab = outs["first"]
        if case.args["stats"] and torch.equal(y, x):
            return ("property", f"none of the {int(masked.sum())} masked positions got a token other than "
                    "the original: nothing was sampled", "not_sampled")
        return self._exact(x, masked, y, lab) or (self._histogram(y, masked) if case.args["stats"] else None)

    @staticmethod
    def _exact(x: torch.Tensor, masked: torch.Tensor, y: torch.Tensor, lab: torch.Tensor
               ) -> tuple[str, str, str] | None:
        if (y != x)[~masked].any():
            return ("property", f"{int((y != x)[~masked].sum())} unmasked positions changed", "changes_unmasked")
        differs = (y != x).long()
        if torch.equal(lab, differs):
            return None
        kept = masked & (y == x)
        if torch.equal(lab, masked.long()) and kept.any():
            return ("property", f"{int(kept.sum())} masked positions sampled their original token yet "
                    "are labelled 1 (replaced)", "sampled_original_counts_as_replaced")
        if torch.equal(lab, 1 - differs) or (torch.equal(lab[masked], 1 - differs[masked])):
            return ("property", "the labels are 0 where the token was replaced and 1 where it was not",
                    "labels_inverted")
        at = tuple(int(i) for i in (lab != differs).nonzero()[0])
        return ("property", f"at position {at} the label is {int(lab[at])}, but the token there "
                f"{'differs from' if differs[at] else 'equals'} the original", "labels_wrong")

    @staticmethod
    def _histogram(y: torch.Tensor, masked: torch.Tensor) -> tuple[str, str, str] | None:
        samples = y[masked]
        n = samples.numel()
        freq = (torch.bincount(samples.clamp(0, 5), minlength=6)[:6].double() / n).tolist()

        def band(q: float) -> float:
            return Z_BOUND * math.sqrt(q * (1 - q) / n) + 0.5 / n

        def fits(probs: list[float]) -> bool:
            return all(abs(f - q) <= band(q) for f, q in zip(freq, probs, strict=True))

        if fits(PROBS):
            return None
        raw = [math.log(q) + OFFSET for q in PROBS]
        rivals = [("argmax_not_sampled", [1.0, 0, 0, 0, 0, 0]), ("sampled_uniformly", [1 / 6] * 6),
                  ("sampled_from_raw_logits", [r / sum(raw) for r in raw])]
        mid = next((m for m, probs in rivals if fits(probs)), "wrong_sample_distribution")
        shown = ", ".join(f"{100 * f:.1f}%" for f in freq)
        want = ", ".join(f"{100 * q:.0f}%" for q in PROBS)
        return ("statistics", f"over {n} masked positions sharing one distribution, the tokens 0..5 were "
                f"sampled {shown} of the time;\n  softmax(generator_logits) gives {want} (each within 5 "
                "standard errors)", mid)
