"""Lesson 06's ``token_deletion`` harness and its hints (BART's token deletion)."""

from __future__ import annotations

import math

import torch

from ...harness import Case
from .. import register
from ._common import (
    MASK_ID,
    Z_BOUND,
    _band,
    _closest,
    _is_subsequence,
    _pct,
    _with_boundary,
    _words,
    split_boundary,
)
from ._corruption import _Corruption

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
    "count_rounded_down": "the number of deleted tokens is ratio x n ROUNDED UP: with n body "
    "tokens and deletion_ratio r, ceil(r * n) tokens are deleted; int() and floor round down (and "
    "round() to the nearest), which deletes one token too few whenever r * n is not whole.",
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
class TokenDeletionHarness(_Corruption):
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
            self.rounding_case(gen, ratio, {**params, "rounding": True}),
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
        if params.get("rounding"):
            bodies = [len(split_boundary(x)[1]) for x in xs]
            return self.rounding_problem(bodies, [len(x) - len(y) for x, (y,) in zip(xs, outs, strict=True)], ratio, "deleted",
                                         "count_rounded_down")
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
