"""Lesson 06's ``document_rotation`` harness and its hints (BART)."""

from __future__ import annotations

from collections import Counter

import torch

from ...harness import Case
from .. import register
from ._common import _band, _pct, _with_boundary, _words, split_boundary
from ._corruption import _Corruption

DOCUMENT_ROTATION_HINTS: dict[str, str] = {
    "changes_length": "rotation only moves tokens: the output holds exactly the input's tokens.",
    "reverses_instead_of_rotating": "rotating keeps the order of the tokens and only changes "
    "where the document starts: body[start:] followed by body[:start] (torch.roll), not the "
    "body reversed.",
    "not_a_rotation": "the output body must be body[start:] + body[:start] for one start position.",
    "start_never_zero": "the document must be able to stay as it was: every start 0 .. n-1 "
    "is equally likely, 0 included. (fairseq's BART code draws the offset from 1 .. n-1 so the "
    "document always moves; this lesson's spec, like the book, draws the start uniformly from "
    "all n body positions.)",
    "start_not_uniform": "every body position must be equally likely to become the start: "
    "torch.randint(n, (1,), generator=generator) draws from 0 .. n-1 (the upper bound is "
    "excluded, so randint(0, n - 1) never picks the last token).",
}


@register
class DocumentRotationHarness(_Corruption):
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
        # Statistics: bodies of 6 tokens, 360 calls: each start is expected 1/6 of the time,
        # measured to +/- 10% (5 SE); an offset drawn from 1..5 (as fairseq's BART does)
        # never gives start 0, expected 60 times.
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
        p = 1 / n
        band = _band(p, len(xs))
        off = [s for s in range(n) if abs(counts[s] / len(xs) - p) > band]
        if not off:
            return None
        shown = ", ".join(f"{k}: {counts[k]}" for k in range(n))
        message = (f"over {len(xs)} rotations of {n}-token bodies the start positions came "
                   f"{shown} times;\n  each should come {_pct(p)} +/- {_pct(band)} "
                   "(5 standard errors)")
        # Never start 0 but the other starts uniform: the offset drawn from 1..n-1.
        others = _band(1 / (n - 1), len(xs))
        if counts[0] == 0 and all(abs(counts[s] / len(xs) - 1 / (n - 1)) <= others
                                  for s in range(1, n)):
            return ("statistics", message, "start_never_zero")
        return ("statistics", message, "start_not_uniform")
