"""Lesson 09's ``corpus_bleu`` harness: corpus BLEU of tokenised hypotheses against one
reference each (clipped n-gram precisions pooled over the corpus, their geometric mean,
the brevity penalty; Papineni et al. 2002).

Cases are stored as id tensors padded with -1 and handed to the candidate as lists of
word strings ("w3"). Hypotheses are edits of their references, so every n-gram order
has matches: cut short (the brevity penalty), lengthened by a repeated word (clipping, no
penalty), with ``max_n=2``, and a corpus where one short sentence matches no 4-gram
(the counts are pooled before dividing).
"""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, _pick

VOCAB = 6


def _ref(gen: torch.Generator, length: int) -> list[int]:
    return torch.randint(0, VOCAB, (length,), generator=gen).tolist()


def _pad(rows: list[list[int]]) -> torch.Tensor:
    out = torch.full((len(rows), max(len(r) for r in rows)), -1, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, :len(r)] = torch.tensor(r, dtype=torch.long)
    return out


def _words(ids: torch.Tensor) -> list[list[str]]:
    return [[f"w{int(t)}" for t in row if int(t) >= 0] for row in ids]


def _corpus(gen: torch.Generator, s: int, kind: str) -> tuple[list[list[int]], list[list[int]]]:
    refs = [_ref(gen, _pick(gen, 7, 10)) for _ in range(s)]
    hyps = []
    for i, ref in enumerate(refs):
        hyp = list(ref)
        if kind == "short":
            hyp = hyp[:len(ref) - _pick(gen, 1, 2)]
        at = _pick(gen, 4, len(hyp) - 1)  # one substitution late on, so a 4-gram still matches
        hyp[at] = (hyp[at] + _pick(gen, 1, VOCAB - 1)) % VOCAB
        if kind == "long":
            hyp = hyp + [hyp[0]] * _pick(gen, 2, 3)
        elif kind == "no 4-gram" and i == s - 1:
            hyp = [(t + 1) % VOCAB for t in ref[:3]]
        hyps.append(hyp)
    return hyps, refs


@register
class CorpusBleuHarness(Harness):
    lesson = LESSON
    name = "corpus_bleu"
    title = "corpus BLEU: clipped n-gram precisions, geometric mean, brevity penalty"
    # Counts are exact; only the combination is float. Measured over 40 seeds (the bank's 3
    # implementations, one in float32 torch): max abs error 9.3e-08, 5.4% of this tolerance.
    tolerance = Tolerance(atol=1e-6, rtol=1e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        s = _pick(gen, 3, 4) if hidden else 3
        plans = [("short hypotheses", "short", 4, "hypotheses shorter than their references "
                  "in total"),
                 ("long hypotheses, repeated words", "long", 4, "hypotheses longer than their "
                  "references, ending in a repeated word"),
                 ("max_n = 2", "short", 2, "hypotheses shorter than their references, max_n=2"),
                 ("a sentence without a 4-gram match", "no 4-gram", 4, "the last hypothesis is "
                  "3 words that match nothing")]
        out = []
        for name, kind, max_n, said in plans:
            hyps, refs = _corpus(gen, s, kind)
            describe = (f"{name}: {s} hypotheses of {min(map(len, hyps))} to {max(map(len, hyps))} "
                        f"words, each with one reference; {said}")
            args = {} if max_n == 4 else {"max_n": max_n}
            out.append(Case(name, describe, {"hypotheses": _pad(hyps), "references": _pad(refs)},
                            args))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        score = candidate(_words(inputs["hypotheses"]), _words(inputs["references"]), **case.args)
        if isinstance(score, (int, float)) and not isinstance(score, bool):
            score = torch.tensor(float(score), dtype=torch.float64)
        elif type(score) is torch.Tensor and score.numel() == 1:
            score = score.reshape(()).double()
        return {"bleu": score}
