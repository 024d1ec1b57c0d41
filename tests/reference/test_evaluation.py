"""reference.evaluation: perplexity is exp of the per-token NLL with padding left out (V
for a uniform model); corpus BLEU gives worked values by hand, clips counts, applies the
brevity penalty only to short output, and agrees with sacrebleu (tokenize='none', no
smoothing)."""

from __future__ import annotations

import math
import random

import pytest
import torch
import torch.nn.functional as F

from reference.evaluation import bleu_statistics, corpus_bleu, ngram_counts, perplexity


def test_uniform_model_has_perplexity_v():
    """Equal logits over V tokens: perplexity V, whatever the targets."""
    logits = torch.zeros(2, 5, 37, dtype=torch.float64)
    targets = torch.randint(0, 37, (2, 5))
    assert float(perplexity(logits, targets)) == pytest.approx(37.0)


def test_perplexity_is_exp_of_cross_entropy_and_ignores_padding():
    """exp(F.cross_entropy(ignore_index=-100)): the padded positions count neither in
    the sum nor in the number of tokens; the mean is over tokens, not sequences."""
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 6, 11, generator=gen, dtype=torch.float64) * 2
    targets = torch.randint(0, 11, (3, 6), generator=gen)
    targets[1, 3:] = -100
    targets[2, 1:] = -100
    want = torch.exp(F.cross_entropy(logits.reshape(-1, 11), targets.reshape(-1), ignore_index=-100))
    torch.testing.assert_close(perplexity(logits, targets), want)
    other = targets.masked_fill(targets == -100, 0)  # ignore_index=0 this time
    want = torch.exp(F.cross_entropy(logits.reshape(-1, 11), other.reshape(-1), ignore_index=0))
    torch.testing.assert_close(perplexity(logits, other, ignore_index=0), want)


def test_perplexity_with_nothing_to_count_is_one():
    """No real target: the mean NLL is taken as 0, so the perplexity is 1 (never NaN)."""
    assert float(perplexity(torch.zeros(1, 2, 3), torch.full((1, 2), -100))) == 1.0


def test_ngram_counts():
    """Counts of consecutive n-grams, repeats included."""
    assert ngram_counts("a b a b".split(), 2) == {("a", "b"): 2, ("b", "a"): 1}
    assert ngram_counts(["a"], 2) == {}


def test_clipping_in_the_classic_example():
    """Papineni et al.'s "the the the the the the the" against "the cat is on the mat":
    unigram precision 2/7 (clipped), not 7/7."""
    stats = bleu_statistics([["the"] * 7], ["the cat is on the mat".split()], max_n=1)
    assert stats["matched"] == [2] and stats["total"] == [7]


def test_worked_value_by_hand():
    """hyp "a b c d e", ref "a b c d f g": p1 = 4/5, p2 = 3/4, p3 = 2/3, p4 = 1/2, c = 5 < r = 6,
    BLEU = exp(1 - 6/5) * (4/5 * 3/4 * 2/3 * 1/2) ** (1/4)."""
    want = math.exp(1 - 6 / 5) * (4 / 5 * 3 / 4 * 2 / 3 * 1 / 2) ** 0.25
    assert corpus_bleu([list("abcde")], [list("abcdfg")]) == pytest.approx(want)


def test_no_penalty_when_longer_and_zero_when_an_order_matches_nothing():
    """c > r: BP = 1; a missing 4-gram match makes BLEU 0 (no smoothing); an exact copy is 1."""
    assert corpus_bleu([list("abcdefg")], [list("abcdef")]) == pytest.approx(
        (6 / 7 * 5 / 6 * 4 / 5 * 3 / 4) ** 0.25)
    assert corpus_bleu([list("abcxyz")], [list("abcdef")]) == 0.0
    assert corpus_bleu([list("abcdef")], [list("abcdef")]) == pytest.approx(1.0)


def test_corpus_bleu_pools_counts_before_dividing():
    """Corpus BLEU is not the mean of sentence BLEUs: one perfect and one poor sentence."""
    hyps, refs = [list("abcdef"), list("abcxyzab")], [list("abcdef"), list("abcdefgh")]
    mean_of_sentences = (corpus_bleu(hyps[:1], refs[:1]) + corpus_bleu(hyps[1:], refs[1:])) / 2
    assert corpus_bleu(hyps, refs) != pytest.approx(mean_of_sentences)


def test_unequal_numbers_of_hypotheses_and_references_are_refused():
    """One reference per hypothesis, or a ValueError with both counts."""
    with pytest.raises(ValueError, match="2 hypotheses and 1 references"):
        corpus_bleu([["a"], ["b"]], [["a"]])


def test_agrees_with_sacrebleu():
    """Random corpora over a small vocabulary: 100 * corpus_bleu equals sacrebleu's score
    with tokenize='none' and smooth_method='none'."""
    sacrebleu = pytest.importorskip("sacrebleu")
    rng = random.Random(0)
    words = [f"w{i}" for i in range(6)]
    for _ in range(40):
        n = rng.randint(1, 5)
        refs = [[rng.choice(words) for _ in range(rng.randint(4, 12))] for _ in range(n)]
        hyps = [r[:rng.randint(2, len(r))] + [rng.choice(words) for _ in range(rng.randint(0, 4))]
                for r in refs]
        theirs = sacrebleu.corpus_bleu([" ".join(h) for h in hyps], [[" ".join(r) for r in refs]],
                                       tokenize="none", smooth_method="none", force=True).score
        assert 100 * corpus_bleu(hyps, refs) == pytest.approx(theirs, abs=1e-9)
