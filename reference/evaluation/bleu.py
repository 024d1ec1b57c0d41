"""Corpus BLEU (lesson 09; Papineni, Roukos, Ward and Zhu 2002).

Book: evaluating generated text against human references. BLEU scores a whole test set
(a corpus) of hypotheses, each with its reference:

* **clipped n-gram precision** p_n, for n = 1 .. 4: every n-gram of a hypothesis counts
  as matched at most as many times as it occurs in its reference (so "the the the" does
  not match a reference with one "the" three times); p_n is the matched n-grams of the
  whole corpus divided by all the hypothesis n-grams of the corpus (sums over sentences
  first, one division at the end);
* their **geometric mean** exp((1/4) sum_n log p_n) (uniform weights), 0 when some p_n is 0
  (no smoothing);
* the **brevity penalty** BP = 1 if c > r else exp(1 - r / c), where c is the total
  hypothesis length and r the total reference length of the corpus. Precision alone
  rewards saying little; BP stands in for the recall BLEU does not measure.

BLEU = BP * geometric mean, in [0, 1] (tools often print 100 times it). Tokens are
compared as given (no tokenisation, no lower-casing). Peer: ``sacrebleu.corpus_bleu``
with ``tokenize='none'``, ``smooth_method='none'`` and one reference stream, which
reports 100 * BLEU. Difference: one reference per hypothesis here (Papineni et al. allow
several, clipping by the maximum count over them and taking the closest length as r).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from reference._checks import check_positive_int


def ngram_counts(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    """How often each n-gram (a tuple of n consecutive tokens) occurs in ``tokens``."""
    check_positive_int(n, "n")
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def bleu_statistics(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
                    max_n: int = 4) -> dict[str, list[int] | int]:
    """The corpus totals BLEU is made of: ``matched[n-1]`` (clipped) and ``total[n-1]``
    hypothesis n-grams for n = 1 .. ``max_n``, ``hyp_len`` (c) and ``ref_len`` (r)."""
    check_positive_int(max_n, "max_n")
    if len(hypotheses) != len(references):
        raise ValueError(f"expected one reference per hypothesis, got {len(hypotheses)} "
                         f"hypotheses and {len(references)} references")
    matched, total = [0] * max_n, [0] * max_n
    hyp_len = ref_len = 0
    for hyp, ref in zip(hypotheses, references, strict=True):
        hyp_len, ref_len = hyp_len + len(hyp), ref_len + len(ref)
        for n in range(1, max_n + 1):
            hyp_counts, ref_counts = ngram_counts(hyp, n), ngram_counts(ref, n)
            matched[n - 1] += sum(min(c, ref_counts[g]) for g, c in hyp_counts.items())
            total[n - 1] += sum(hyp_counts.values())
    return {"matched": matched, "total": total, "hyp_len": hyp_len, "ref_len": ref_len}


def corpus_bleu(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
                max_n: int = 4) -> float:
    """Corpus BLEU in [0, 1] of tokenised ``hypotheses`` against one reference each.

    ``hypotheses[i]`` and ``references[i]`` are lists of tokens (strings). BLEU = BP *
    exp(mean over n = 1 .. max_n of log p_n), p_n the clipped n-gram precision of the
    corpus, BP = min(1, exp(1 - r / c)); 0 when some p_n is 0 or the hypotheses are empty.
    """
    stats = bleu_statistics(hypotheses, references, max_n)
    matched, total = stats["matched"], stats["total"]
    c, r = stats["hyp_len"], stats["ref_len"]
    assert isinstance(matched, list) and isinstance(total, list)
    assert isinstance(c, int) and isinstance(r, int)
    if c == 0 or any(m == 0 for m in matched):
        return 0.0
    log_mean = sum(math.log(m / t) for m, t in zip(matched, total, strict=True)) / max_n
    brevity = 1.0 if c > r else math.exp(1 - r / c)
    return brevity * math.exp(log_mean)
