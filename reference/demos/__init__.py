"""The training demos run by ``make demo`` (``pretraining-lab demo``).

Book: *Foundations of LLMs* ch. 1 and 2, the three pre-training objectives on
the same course corpus: (a) masked language modelling (BERT), (b) denoising
autoencoding (BART), (c) causal language modelling (GPT). One module each;
budgets and targets live in :mod:`reference.demos.targets`, the shared pieces
in :mod:`reference.demos.common`, the entry point in :mod:`reference.demo`.
"""

from reference.demos import causal_lm, denoising, masked_lm

DEMOS = {module.NAME: module for module in (masked_lm, denoising, causal_lm)}

__all__ = ["DEMOS", "causal_lm", "denoising", "masked_lm"]
