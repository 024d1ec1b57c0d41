"""Harnesses for lesson 09, generating text (book ch. 2, inference with generative
models: the key-value cache, decoding by sampling and by beam search; evaluating a
model by perplexity and its outputs by BLEU).

Exercises, in notebook order: ``attend_with_cache`` (causal self-attention of new
positions over the cached keys and values), ``top_k_filter``, ``top_p_filter``,
``sample_next_token`` (randomised: judged by invariants and statistics),
``beam_search``, ``perplexity``, ``corpus_bleu`` and three short questions.

One file per exercise, named by it; :mod:`._common` holds the lesson id and the
case-building helpers, :mod:`._toys` the torch-only stand-ins (an attention module's
projections, a toy language model for beam search).
"""
