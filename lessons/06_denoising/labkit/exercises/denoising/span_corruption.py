"""Lesson 06's ``span_corruption`` harness and its hints (T5, sentinels)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ...harness import Case
from .. import register
from ._common import (
    SENTINEL_IDS,
    Z_BOUND,
    _band,
    _closest,
    _pct,
    _show,
    _with_boundary,
    _words,
    split_boundary,
)
from ._corruption import _Corruption

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
    "assumes_consecutive_sentinels": "span i's sentinel is sentinel_ids[i], whatever the ids are: "
    "they need not count up from the first one (T5's own ids count DOWN from 32099), so take "
    "them from the list instead of adding i to its first id.",
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
class SpanCorruptionHarness(_Corruption):
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

    @staticmethod
    def consecutive_sentinels(body: list[int], in_body: list[int], tg_body: list[int],
                              sentinels: list[int]) -> tuple[str, str] | None:
        """Span i given sentinel_ids[0] + i: the ids the inputs insert count up from the first
        sentinel (or the targets end with sentinel_ids[0] + num_spans) where sentinel_ids
        does not. Checked before the other sentinel rules, whose counts would miss ids that
        are not sentinels at all."""
        inserted = [t for t in in_body if t not in body]
        counting = [sentinels[0] + i for i in range(len(inserted) + 1)]
        if not inserted or counting == sentinels[: len(counting)]:
            return None
        wrong_inputs = inserted == counting[:-1] != sentinels[: len(inserted)]
        final = sentinels[len(inserted)] if len(inserted) < len(sentinels) else None
        wrong_final = bool(tg_body) and tg_body[-1] == counting[-1] != final
        if wrong_inputs or wrong_final:
            return (f"the sentinels used are {inserted} (then {tg_body[-1:]} closing the "
                    f"targets); sentinel_ids is {sentinels[: len(counting)]}...",
                    "assumes_consecutive_sentinels")
        return None

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
        consecutive = self.consecutive_sentinels(body, in_body, tg_body, sentinels)
        if consecutive is not None:
            return consecutive
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
