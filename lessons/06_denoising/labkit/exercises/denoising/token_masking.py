"""Lesson 06's ``token_masking`` harness and its hints (BART's token masking)."""

from __future__ import annotations

import math

import torch

from ...harness import Case
from .. import register
from ._common import MASK_ID, _band, _closest, _pct, _with_boundary, _words, split_boundary
from ._corruption import _Corruption

TOKEN_MASKING_HINTS: dict[str, str] = {
    "changes_length": "token masking REPLACES chosen body tokens by mask_token_id: the output "
    "has exactly the length of the input (nothing is deleted or inserted).",
    "replaces_with_other_ids": "every chosen token becomes mask_token_id; BART's token masking "
    "has no random replacements and no kept tokens (that is BERT's 80/10/10 recipe).",
    "count_includes_boundary": "take the ratio of the BODY: n = number of tokens between the "
    "leading [CLS]/<s> and trailing [SEP]/</s> tokens, then mask ceil(mask_ratio * n) of them.",
    "count_rounded_down": "the number of masked tokens is ratio x n ROUNDED UP: with n body "
    "tokens and mask_ratio r, ceil(r * n) tokens are masked; int() and floor round down (and "
    "round() to the nearest), which masks one token too few whenever r * n is not whole.",
    "hardcoded_ratio": "use the mask_ratio argument instead of a fixed 0.15.",
    "ratio_inverted": "mask_ratio is the share of body tokens that BECOME [MASK], not the share "
    "that stays.",
    "assumes_boundary_tokens": "do not drop the first and last token blindly: only a leading "
    "[CLS]/<s> run and a trailing [SEP]/</s> run are protected; a sequence without them is all body.",
    "wrong_mask_ratio": "mask ceil(mask_ratio * n) of the n body tokens (or each with "
    "probability mask_ratio).",
    "hardcoded_mask_id": "write the mask_token_id argument, whatever its value: a fixed id (this "
    "course's [MASK] is 4) is wrong in any other vocabulary (BART's <mask> is 50264).",
}

#: The mask id of the last case: BART's <mask> in its released vocabulary, not this course's 4.
OTHER_MASK_ID = 50264


@register
class TokenMaskingHarness(_Corruption):
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
            self.rounding_case(gen, ratio, {**params, "rounding": True}),
            self.make_case(gen, "another mask id", f"{len(small)} sequences, mask_token_id="
                           f"{OTHER_MASK_ID} (BART's <mask>), mask_ratio={ratio}", small,
                           {**params, "mask_token_id": OTHER_MASK_ID}, stats=False),
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
                mid = "hardcoded_mask_id" if b == MASK_ID else "replaces_with_other_ids"
                return (f"token {a} became {b}, which is not mask_token_id {mask}", mid)
        return None

    def statistics(self, xs, outs, params):
        ratio = params["mask_ratio"]
        if params.get("rounding"):
            bodies = [len(split_boundary(x)[1]) for x in xs]
            return self.rounding_problem(bodies, [sum(a != b for a, b in zip(x, y, strict=True)) for x, (y,) in zip(xs, outs, strict=True)], ratio, "masked",
                                         "count_rounded_down")
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
