def corpus_bleu(hypotheses, references, max_n=4):
    """Corpus BLEU in [0, 1]: clipped n-gram precisions pooled over the corpus, their geometric
    mean over n = 1 .. max_n, times the brevity penalty."""
    ### BEGIN SOLUTION
    def ngrams(tokens, n):
        return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))

    matched, total = [0] * max_n, [0] * max_n
    for hyp, ref in zip(hypotheses, references):
        for n in range(1, max_n + 1):
            hyp_grams = ngrams(hyp, n)
            matched[n - 1] += sum(c for g, c in hyp_grams.items() if g in ngrams(ref, n))  # clipped by the reference
            total[n - 1] += sum(hyp_grams.values())
    if min(matched) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matched, total)) / max_n
    c = sum(len(h) for h in hypotheses)
    r = sum(len(ref) for ref in references)
    brevity = 1.0 if c > r else math.exp(1 - r / c)
    return brevity * math.exp(log_precision)
    ### END SOLUTION
