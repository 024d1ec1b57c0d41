"""Evaluating a language model and its outputs (lesson 09): one concept per module.

- :mod:`.perplexity`: perplexity, the exponential of the mean per-token negative
  log-likelihood (padding ignored);
- :mod:`.bleu`: corpus BLEU (Papineni et al. 2002): clipped n-gram precisions, their
  geometric mean and the brevity penalty.

Book: *Foundations of LLMs* ch. 2 (evaluating language models: perplexity) and the
evaluation of generated text against references (BLEU).
"""

from reference.evaluation.bleu import bleu_statistics, corpus_bleu, ngram_counts
from reference.evaluation.perplexity import perplexity

__all__ = ["bleu_statistics", "corpus_bleu", "ngram_counts", "perplexity"]
