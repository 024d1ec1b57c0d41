"""Lesson 09's ``corpus_bleu`` entry: the reference (``reference.evaluation``) and the
catalogued mistakes (trusted; never shipped). The mistakes share one BLEU with a switch
for each thing they get wrong."""

from __future__ import annotations

import math
from collections import Counter

from reference.evaluation import corpus_bleu

from .. import Entry, Requirement, mistake
from ._common import ID


def _grams(tokens, n):
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _bleu(hyps, refs, max_n=4, *, clip=True, bp="right", mean="geometric", recall=False,
          per_sentence_precision=False):
    matched, total, sentence_p = [0] * max_n, [0] * max_n, [[] for _ in range(max_n)]
    for hyp, ref in zip(hyps, refs, strict=True):
        for n in range(1, max_n + 1):
            h, r = _grams(hyp, n), _grams(ref, n)
            m = sum(min(c, r[g]) if clip else c * (g in r) for g, c in h.items())
            t = sum((r if recall else h).values())
            matched[n - 1] += m
            total[n - 1] += t
            sentence_p[n - 1].append(m / t if t else 0.0)
    if per_sentence_precision:
        precisions = [sum(ps) / len(ps) for ps in sentence_p]
    else:
        precisions = [m / t if t else 0.0 for m, t in zip(matched, total, strict=True)]
    if any(p == 0 for p in precisions):
        return 0.0
    if mean == "geometric":
        score = math.exp(sum(math.log(p) for p in precisions) / max_n)
    else:
        score = sum(precisions) / max_n
    c, r = sum(map(len, hyps)), sum(map(len, refs))
    if bp == "right":
        score *= 1.0 if c > r else math.exp(1 - r / c)
    elif bp == "always":
        score *= math.exp(1 - r / c)
    elif bp == "inverted":
        score *= 1.0 if c > r else math.exp(1 - c / r)
    return score


@mistake("unclipped_counts", "clip each n-gram's count by its count in the reference: a word "
         "repeated in the hypothesis matches at most as many times as the reference has it, "
         "otherwise 'the the the ...' scores perfectly.")
def bleu_unclipped(hypotheses, references, max_n=4):
    return _bleu(hypotheses, references, max_n, clip=False)


@mistake("no_brevity_penalty", "precision alone rewards short outputs (a few sure words score "
         "high): multiply by the brevity penalty exp(1 - r / c) when the hypotheses are shorter "
         "than the references (c <= r).")
def bleu_no_bp(hypotheses, references, max_n=4):
    return _bleu(hypotheses, references, max_n, bp="none")


@mistake("brevity_penalty_when_longer", "the brevity penalty is 1 when the hypotheses are "
         "LONGER than the references (c > r): it only punishes short output; exp(1 - r / c) "
         "would exceed 1 there.")
def bleu_bp_always(hypotheses, references, max_n=4):
    return _bleu(hypotheses, references, max_n, bp="always")


@mistake("brevity_ratio_inverted", "the brevity penalty is exp(1 - r / c), r the reference "
         "length and c the hypothesis length, so it falls fast as the output gets shorter; "
         "exp(1 - c / r) has the ratio upside down.")
def bleu_bp_inverted(hypotheses, references, max_n=4):
    return _bleu(hypotheses, references, max_n, bp="inverted")


@mistake("arithmetic_mean", "BLEU combines the n-gram precisions by their GEOMETRIC mean, "
         "exp(mean of log p_n), which falls to 0 when any order matches nothing; not their "
         "arithmetic mean.")
def bleu_arithmetic(hypotheses, references, max_n=4):
    return _bleu(hypotheses, references, max_n, mean="arithmetic")


@mistake("mean_of_sentence_bleu", "corpus BLEU pools the counts of all sentences first "
         "(matched n-grams and hypothesis n-grams, and the lengths c and r) and computes one "
         "score; the mean of per-sentence BLEU scores is a different number, 0 for any "
         "sentence without a 4-gram match.")
def bleu_sentence_mean(hypotheses, references, max_n=4):
    return sum(_bleu([h], [r], max_n) for h, r in zip(hypotheses, references, strict=True)) \
        / len(hypotheses)


@mistake("mean_of_sentence_precisions", "each p_n is the matched n-grams of the whole corpus "
         "divided by all its hypothesis n-grams (one division at the end), not an average of "
         "per-sentence precisions.")
def bleu_sentence_precisions(hypotheses, references, max_n=4):
    return _bleu(hypotheses, references, max_n, per_sentence_precision=True)


@mistake("recall_instead_of_precision", "BLEU is a PRECISION: divide the matched n-grams by the "
         "number of n-grams in the HYPOTHESES (what the system said), not in the references; "
         "the brevity penalty stands in for recall.")
def bleu_recall(hypotheses, references, max_n=4):
    return _bleu(hypotheses, references, max_n, recall=True)


@mistake("max_n_ignored", "use the max_n argument: the geometric mean runs over n = 1 .. max_n, "
         "not always up to 4.")
def bleu_max_n(hypotheses, references, max_n=4):
    return _bleu(hypotheses, references, 4)


@mistake("returns_percent", "return BLEU as a number in [0, 1]; tools such as sacrebleu print "
         "100 times it.")
def bleu_percent(hypotheses, references, max_n=4):
    return 100 * _bleu(hypotheses, references, max_n)


REQUIREMENTS = (
    Requirement("p_n counts hypothesis n-grams clipped by their count in the reference, "
                "divided by the hypothesis n-grams",
                broken_by=("unclipped_counts", "recall_instead_of_precision")),
    Requirement("counts and lengths are pooled over the corpus before dividing",
                broken_by=("mean_of_sentence_bleu", "mean_of_sentence_precisions")),
    Requirement("the precisions are combined by their geometric mean over n = 1 .. max_n",
                broken_by=("arithmetic_mean", "max_n_ignored")),
    Requirement("BP = 1 if c > r else exp(1 - r / c)",
                broken_by=("no_brevity_penalty", "brevity_penalty_when_longer",
                           "brevity_ratio_inverted")),
    Requirement("BLEU is returned in [0, 1]", broken_by=("returns_percent",)),
)

ENTRY = Entry(f"{ID}/corpus_bleu", corpus_bleu, (
    bleu_unclipped, bleu_no_bp, bleu_bp_always, bleu_bp_inverted, bleu_arithmetic,
    bleu_sentence_mean, bleu_sentence_precisions, bleu_recall, bleu_max_n, bleu_percent),
    points=3, requirements=REQUIREMENTS)
