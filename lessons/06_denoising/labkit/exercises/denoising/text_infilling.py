"""Lesson 06's ``text_infilling`` harness and its hints (BART's text infilling:
Poisson spans, one ``[MASK]`` each).
"""

from __future__ import annotations

import math

import torch

from ...harness import Case
from .. import register
from ._common import MASK_ID, Z_BOUND, _band, _closest, _pct, _with_boundary, _words, split_boundary
from ._corruption import _Corruption

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
    "hardcoded_mask_id": "insert the mask_token_id argument, whatever its value: a fixed id (this "
    "course's [MASK] is 4) is wrong in any other vocabulary (BART's <mask> is 50264).",
}

#: The mask id of the last case: BART's <mask> in its released vocabulary, not this course's 4.
OTHER_MASK_ID = 50264


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
class TextInfillingHarness(_Corruption):
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
            self.make_case(gen, "another mask id", f"{len(small)} sequences, mask_token_id="
                           f"{OTHER_MASK_ID} (BART's <mask>), mask_ratio=0.3, poisson_lambda=3.0",
                           small, {**default, "mask_token_id": OTHER_MASK_ID}, stats=False),
        ]

    def call(self, candidate, tokens, generator, params):
        return candidate(tokens, mask_token_id=params["mask_token_id"], mask_ratio=params["mask_ratio"],
                         poisson_lambda=params["poisson_lambda"], generator=generator)

    def check_call(self, x, outs, params):
        (y,) = outs
        gaps = infilling_gaps(x, y, params["mask_token_id"])
        if gaps is None and params["mask_token_id"] != MASK_ID and MASK_ID in y and MASK_ID not in x:
            return (f"the output holds id {MASK_ID}, not mask_token_id {params['mask_token_id']}",
                    "hardcoded_mask_id")
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
