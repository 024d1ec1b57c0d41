"""Generating text with a trained decoder (lesson 09): one concept per module.

- :mod:`.kv_cache`: incremental decoding that keeps each layer's keys and values
  (``attend_with_cache``, ``cached_forward``, ``generate_greedy``);
- :mod:`.sampling`: temperature, top-k and nucleus (top-p) filtering of the logits and
  seeded sampling from what is left (``top_k_filter``, ``top_p_filter``,
  ``sample_next_token``);
- :mod:`.beam_search`: beam search with length normalisation and ``</s>`` handling
  (``beam_search``, ``exhaustive_search``).

Book: *Foundations of LLMs* ch. 2, inference with generative models (decoding
algorithms: greedy, sampling, beam search; the key-value cache).
"""

from reference.generation.beam_search import beam_search, exhaustive_search
from reference.generation.kv_cache import (
    KVCache,
    attend_with_cache,
    cached_forward,
    generate_greedy,
)
from reference.generation.sampling import (
    apply_temperature,
    sample_next_token,
    top_k_filter,
    top_p_filter,
)

__all__ = [
    "KVCache", "apply_temperature", "attend_with_cache", "beam_search",
    "cached_forward", "exhaustive_search", "generate_greedy", "sample_next_token",
    "top_k_filter", "top_p_filter",
]
