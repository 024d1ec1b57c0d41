"""Lesson 10's ``make_nsp_pairs`` harness (next-sentence prediction pairs: 50% the true next
sentence, 50% a random sentence of another document; Devlin et al. 2019, sec. 3.1).

``make_nsp_pairs`` is randomised, so the judge never compares with the reference's draws.
It checks, per case: the form of the result; one pair per sentence that has a successor,
in corpus order; every B a sentence of the corpus; IsNext (0) pairs take the next sentence,
NotNext (1) pairs a sentence of another document; the same seed gives the same pairs and
another seed other pairs; the IsNext rate is 1/2 within 5 standard errors; and, on the
large case, NotNext sentences come from many documents, not one fixed neighbour.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, Mistake, Verdict, error_verdict
from ...harness import MUTATED_KEY, Case, Harness
from .. import register
from ._common import FIRST_WORD, LESSON

#: Bounds of the statistical checks, in standard errors (a correct answer fails below 1e-6).
Z_BOUND = 5.0

NSP_HINTS: dict[str, str] = {
    "wrong_return_type": "return a list with one tuple (A, B, label) per pair: A and B lists of "
    "token ids, the label an int, 0 for IsNext and 1 for NotNext.",
    "mutates_input": "documents must not change: read the sentences, do not pop or shuffle them "
    "in place.",
    "wrong_pair_count": "make one pair for every sentence that has a next sentence in its own "
    "document: a document of n sentences gives n - 1 pairs, and a document of one sentence none.",
    "pairs_out_of_order": "go through the documents in order, and through each document's "
    "sentences in order: pair i has sentence i as A.",
    "b_not_a_sentence": "B is always a whole sentence of the corpus: the next sentence, or a "
    "sentence of another document.",
    "labels_not_binary": "the label is an int: 0 (IsNext) when B follows A, 1 (NotNext) when B "
    "is a random sentence.",
    "labels_flipped": "the labels are the wrong way round: 0 means IsNext (B is A's next "
    "sentence), 1 means NotNext (B is random), as in Hugging Face's next_sentence_label.",
    "next_is_not_following": "an IsNext pair's B is the sentence right AFTER A in the same "
    "document, documents[d][i + 1].",
    "random_from_same_document": "a NotNext sentence comes from ANOTHER document: a sentence of "
    "A's own document (drawn from the whole corpus, say) may be on the same topic, or even "
    "the true next sentence, and teaches the wrong label. Draw the document among the others.",
    "ignores_generator": "draw every random number from the generator you are given "
    "(torch.rand(..., generator=generator), torch.randint(..., generator=generator)); the "
    "global random state (or Python's random) makes two runs with the same seed differ.",
    "fixed_internal_seed": "use the generator passed in; creating or re-seeding your own "
    "generator makes every call give the same pairs.",
    "wrong_next_rate": "each pair takes the next sentence with probability 1/2 and a random one "
    "otherwise: one fair draw per pair, e.g. torch.rand((), generator=generator) < 0.5.",
    "fixed_other_document": "the NotNext sentence comes from a RANDOM other document (drawn "
    "uniformly among the others), not always the same neighbour.",
}


def _seed(gen: torch.Generator) -> int:
    return int(torch.randint(0, 2**62, (1,), generator=gen))


def _corpus(gen: torch.Generator, sizes: list[int]) -> dict[str, torch.Tensor]:
    """Documents of ``sizes[d]`` sentences of 3 to 7 words; every sentence is distinct (its
    first word is its own), so the judge can tell which sentence a B is."""
    n = sum(sizes)
    lengths = torch.randint(3, 8, (n,), generator=gen)
    body = torch.randint(FIRST_WORD, FIRST_WORD + 40, (n, 7), generator=gen)
    body[:, 0] = FIRST_WORD + 40 + torch.randperm(n, generator=gen)
    body[torch.arange(7)[None, :] >= lengths[:, None]] = 0
    return {"sentences": body.to(torch.int16), "doc_sizes": torch.tensor(sizes, dtype=torch.int16)}


def documents_of(inputs: Mapping[str, torch.Tensor]) -> list[list[list[int]]]:
    """The case's documents as lists of sentences (lists of ids), as the student gets them."""
    rows = [[int(x) for x in row if int(x) != 0] for row in inputs["sentences"].long()]
    docs, start = [], 0
    for size in inputs["doc_sizes"].tolist():
        docs.append(rows[start:start + size])
        start += size
    return docs


def _as_ids(x: Any) -> tuple[int, ...] | None:
    try:
        values = x.tolist() if isinstance(x, torch.Tensor) else list(x)
        return tuple(int(v) for v in values)
    except (TypeError, ValueError):
        return None


def _encode(result: Any, index: dict[tuple[int, ...], int]) -> dict[str, Any] | str:
    """The pairs as (a, b, label) index tensors, or what was wrong with their form."""
    if not isinstance(result, (list, tuple)):
        return f"a {type(result).__name__}, not a list of (A, B, label) tuples"
    a_idx, b_idx, labels = [], [], []
    for pair in result:
        if not isinstance(pair, (list, tuple)) or len(pair) != 3:
            return f"an item {type(pair).__name__} that is not a tuple (A, B, label)"
        a, b = _as_ids(pair[0]), _as_ids(pair[1])
        label = pair[2]
        if a is None or b is None:
            return "an A or B that is not a sequence of token ids"
        if isinstance(label, torch.Tensor) and label.numel() == 1:
            label = label.item()
        if isinstance(label, float) and label.is_integer():
            label = int(label)
        if not isinstance(label, int):
            return f"a label of type {type(label).__name__}, not an int"
        a_idx.append(index.get(a, -1))
        b_idx.append(index.get(b, -1))
        labels.append(int(label))
    return {"a": torch.tensor(a_idx, dtype=torch.int32), "b": torch.tensor(b_idx, dtype=torch.int32),
            "label": torch.tensor(labels, dtype=torch.int32)}


@register
class MakeNSPPairsHarness(Harness):
    """``make_nsp_pairs(documents, *, generator) -> [(A, B, label), ...]``."""

    lesson = LESSON
    name = "make_nsp_pairs"
    title = "next-sentence prediction pairs: half IsNext, half NotNext from another document"
    hints = NSP_HINTS

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        def case(name: str, sizes: list[int], calls: tuple[str, ...]) -> Case:
            first, other = _seed(gen), _seed(gen)
            seeds = {"first": first, "again": first, "other": other}
            pairs = sum(s - 1 for s in sizes)
            describe = (f"{name}: {len(sizes)} documents of {min(sizes)} to {max(sizes)} sentences "
                        f"({pairs} pairs expected)")
            return Case(name, describe, _corpus(gen, sizes), {"calls": {c: seeds[c] for c in calls}})

        small = [3, 5, 1, 4] if not hidden else [int(x) for x in torch.randint(1, 6, (5,), generator=gen)]
        small[0] = max(small[0], 2)
        middle = [int(x) for x in torch.randint(6, 11, (10,), generator=gen)]
        return [case("small corpus", small, ("first", "again")),
                case("same seed twice, another seed once", middle, ("first", "again", "other")),
                # 570 pairs: the IsNext rate is measured to +/- 10% (5 SE), and ~285 NotNext
                # pairs drawn from the whole corpus would land in A's own document ~9 times.
                case("statistics, 30 documents", [20] * 30, ("first",))]

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        docs = documents_of(inputs)
        index = {tuple(s): i for i, s in enumerate(s for doc in docs for s in doc)}
        out: dict[str, Any] = {}
        for call, seed in case.args["calls"].items():
            mine = documents_of(inputs)
            result = candidate(mine, generator=torch.Generator().manual_seed(seed))
            if call == "first" and mine != docs:
                out[MUTATED_KEY] = "documents"
            encoded = _encode(result, index)
            if isinstance(encoded, str):
                out[f"{call}:form"] = encoded
                continue
            out[f"{call}:form"] = "pairs"
            out.update({f"{call}:{k}": v for k, v in encoded.items()})
        return out

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"make_nsp_pairs on {where} ({case.describe})"
        if ERROR_KEY in got:
            return error_verdict(str(got[ERROR_KEY]), context, mistakes)
        found = self._problem(got, case)
        if found is None:
            return Verdict(True, f"passed: {context}")
        layer, message, mid = found
        hint = next((m.hint for m in mistakes if m.id == mid), None) or self.hints.get(mid, "")
        lines = [f"FAILED ({layer}) {context}", message] + ([f"Hint: {hint}"] if hint else [])
        return Verdict(False, "\n".join(lines), mid, layer)

    def _problem(self, got: Mapping[str, Any], case: Case) -> tuple[str, str, str] | None:
        for call in case.args["calls"]:
            form = got.get(f"{call}:form")
            if form != "pairs":
                return ("type", f"expected a list of (A, B, label) tuples, got {form}", "wrong_return_type")
            if any(type(got.get(f"{call}:{k}")) is not torch.Tensor for k in ("a", "b", "label")):
                return ("type", "no pairs were recorded", "wrong_return_type")
        if MUTATED_KEY in got:
            return ("property", "your function changed the documents in place", "mutates_input")
        sizes = case.inputs["doc_sizes"].long().tolist()
        doc = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))  # (N,)
        a, b, label = (got[f"first:{k}"].long() for k in ("a", "b", "label"))
        return self._structure(a, b, label, doc, sizes) or self._seeds(got, case) \
            or self._statistics(a, b, label, doc, len(sizes))

    @staticmethod
    def _structure(a: torch.Tensor, b: torch.Tensor, label: torch.Tensor, doc: torch.Tensor,
                   sizes: list[int]) -> tuple[str, str, str] | None:
        starts = torch.cumsum(torch.tensor([0] + sizes[:-1]), 0)
        want = torch.cat([torch.arange(s, s + n - 1) for s, n in zip(starts.tolist(), sizes, strict=True)])
        if len(a) != len(want):
            return ("property", f"got {len(a)} pairs; expected {len(want)}, one per sentence that "
                    "has a next sentence in its document", "wrong_pair_count")
        if not torch.equal(a, want):
            i = int((a != want).nonzero()[0])
            return ("property", f"pair {i} has the wrong A: expected the sentences of each document "
                    "in order, every one but the last", "pairs_out_of_order")
        if bool((b < 0).any()):
            i = int((b < 0).nonzero()[0])
            return ("property", f"the B of pair {i} is not a sentence of the corpus", "b_not_a_sentence")
        if bool(((label != 0) & (label != 1)).any()):
            return ("property", f"labels {sorted(set(label.tolist()))}; expected only 0 and 1",
                    "labels_not_binary")
        follows = b == a + 1
        same_doc = doc[b] == doc[a]
        is_next, not_next = label == 0, label == 1
        if bool(is_next.any()) and not bool(follows[is_next].any()) and bool(follows[not_next].all()):
            return ("property", f"all {int(not_next.sum())} pairs labelled 1 take the next sentence, "
                    f"none of the {int(is_next.sum())} labelled 0 does", "labels_flipped")
        if bool((is_next & ~follows).any()):
            i = int((is_next & ~follows).nonzero()[0])
            return ("property", f"pair {i} is labelled 0 (IsNext) but its B is not the sentence after "
                    "A", "next_is_not_following")
        if bool((not_next & same_doc).any()):
            n = int((not_next & same_doc).sum())
            return ("property", f"{n} of {int(not_next.sum())} pairs labelled 1 (NotNext) take B from "
                    "A's own document", "random_from_same_document")
        return None

    @staticmethod
    def _seeds(got: Mapping[str, Any], case: Case) -> tuple[str, str, str] | None:
        first = [got[f"first:{k}"] for k in ("b", "label")]
        if "again" in case.args["calls"]:
            again = [got[f"again:{k}"] for k in ("b", "label")]
            if any(x.shape != y.shape or not torch.equal(x, y) for x, y in zip(first, again, strict=True)):
                return ("property", "two calls with generators seeded alike gave different pairs",
                        "ignores_generator")
        label = first[1].long()
        n = len(label)
        rate = float((label == 0).sum()) / max(n, 1)
        band = Z_BOUND * math.sqrt(0.25 / max(n, 1)) + 0.5 / max(n, 1)
        if n and abs(rate - 0.5) > band:
            return ("statistics", f"{int((label == 0).sum())} of {n} pairs are IsNext = {100 * rate:.1f}%; "
                    f"expected 50% +/- {100 * band:.1f}% (5 standard errors)", "wrong_next_rate")
        if "other" in case.args["calls"]:
            other = [got[f"other:{k}"] for k in ("b", "label")]
            if all(x.shape == y.shape and torch.equal(x, y) for x, y in zip(first, other, strict=True)):
                return ("property", f"calls with two different seeds gave the same {n} pairs",
                        "fixed_internal_seed")
        return None

    @staticmethod
    def _statistics(a: torch.Tensor, b: torch.Tensor, label: torch.Tensor, doc: torch.Tensor,
                    num_docs: int) -> tuple[str, str, str] | None:
        not_next = label == 1
        if int(not_next.sum()) < 40:
            return None
        shift = ((doc[b] - doc[a]) % num_docs)[not_next]
        if int(shift.unique().numel()) == 1:
            return ("statistics", f"every one of {int(not_next.sum())} NotNext sentences comes from the "
                    f"document {int(shift[0])} after A's", "fixed_other_document")
        return None
