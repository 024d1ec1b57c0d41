"""Harnesses for lesson 07, the training objective (book ch. 2, "Standard Optimization
Objective for Transformer Language Models" and "Maximum Likelihood Estimation for
Sequential Data"; ch. 1 for the iteration of gradient-based training).

Exercises, in notebook order: ``sequence_log_prob`` (the chain rule), ``dataset_nll``
(maximum likelihood over a dataset: sum, mean per sequence, mean per token, mean of
per-sequence means), ``causal_lm_loss`` (next-token prediction with the shift),
``train_step`` (one training iteration in the right order) and three short questions.

One file per exercise, named by it:

- :mod:`.sequence_log_prob`, :mod:`.dataset_nll`, :mod:`.causal_lm_loss`: the losses;
- :mod:`.train_step`: the training iteration (and ``TinyNet``, the network it trains);
- :mod:`.questions`: the three short questions;
- :mod:`._common`: the lesson id, the case-building helpers and ``_NamesErrors``, the
  judge the three loss harnesses share.
"""
