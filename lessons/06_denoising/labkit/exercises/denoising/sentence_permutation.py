"""Lesson 06's ``sentence_permutation`` harness and its hints (BART)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import torch

from ...harness import Case
from .. import register
from ._common import DOT, QMARK, Problem, _band, _pct, _with_boundary, _words, split_boundary
from ._corruption import _Corruption

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
class SentencePermutationHarness(_Corruption):
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
