"""Lesson 09's catalogue entries (generating text): ``attend_with_cache``,
``top_k_filter``, ``top_p_filter``, ``sample_next_token``, ``beam_search``,
``perplexity``, ``corpus_bleu`` and the short questions (trusted; never shipped)."""
