"""The key-value cache: incremental decoding without recomputing the prefix (lesson 09).

Book: *Foundations of LLMs* ch. 2, inference: a decoder-only model generates one token
at a time, and at step t the queries of the earlier positions are never needed again,
while their keys and values are the same at every later step (causal attention: a
position's state depends on the positions before it only). So each layer keeps the keys
and values it has computed, and a step feeds the model only the new token: its query
attends over the cached keys plus its own. Without the cache, step t re-runs the whole
prefix of t tokens, and generating n tokens costs 1 + 2 + ... + n = n(n+1)/2 token
passes (quadratic); with it, n passes (linear), each attending over the cache.

Peer: Hugging Face's ``past_key_values`` / ``DynamicCache`` (``use_cache=True`` in
``generate``), whose per-layer tensors are laid out ``(B, H, S, Dh)`` as here.
Difference: no padding inside the cache (every row of a batch has the same length), and
no cross-attention (the model is :class:`~reference.models.CausalLM`).
"""

from __future__ import annotations

import torch
from torch import Tensor

from reference._checks import check_float_tensor, check_ids, check_positive_int
from reference.attention import (
    MultiHeadAttention,
    merge_heads,
    scaled_dot_product_attention,
    split_heads,
)
from reference.layers.encoder import EncoderLayer
from reference.layers.sublayer import sublayer_connection
from reference.models.causal_lm import CausalLM

#: One ``(keys, values)`` pair per layer, each ``(B, H, S, Dh)``: the S positions seen so far.
KVCache = list[tuple[Tensor, Tensor]]


def attend_with_cache(attn: MultiHeadAttention, x_new: Tensor,
                      cache: tuple[Tensor, Tensor] | None = None
                      ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """Causal self-attention of ``T`` new positions that follow ``S`` cached ones.

    ``x_new`` ``(B, T, E)`` holds the new positions' inputs; ``cache`` is ``None`` (nothing
    seen yet, S = 0) or ``(keys, values)``, each ``(B, H, S, Dh)``, of the earlier
    positions. The new keys and values are appended after the cached ones along the
    position axis, and new position i (absolute position S + i) attends to the keys at
    positions 0 .. S + i: all the cached ones and the new ones up to itself. Returns the
    attention output ``(B, T, E)`` (after ``out_proj``) and the extended cache, each
    ``(B, H, S + T, Dh)``. Equal to ``attn(x, x, x, causal_mask)`` on the whole sequence,
    restricted to the new positions. The cache passed in is not modified.
    """
    check_float_tensor(x_new, "x_new", ndim=3, layout="(B, T, E)")
    q = split_heads(attn.q_proj(x_new), attn.num_heads)  # (B, H, T, Dh)
    k = split_heads(attn.k_proj(x_new), attn.num_heads)  # (B, H, T, Dh)
    v = split_heads(attn.v_proj(x_new), attn.num_heads)  # (B, H, T, Dh)
    if cache is not None:
        past_k, past_v = cache
        check_float_tensor(past_k, "cache keys", ndim=4, layout="(B, H, S, Dh)")
        if past_k.shape[:2] != k.shape[:2] or past_k.shape[-1] != k.shape[-1] \
                or past_v.shape != past_k.shape:
            raise ValueError(f"expected cached keys and values of shape (B, H, S, Dh) = "
                             f"({k.size(0)}, {k.size(1)}, S, {k.size(3)}), got "
                             f"{tuple(past_k.shape)} and {tuple(past_v.shape)}")
        k = torch.cat([past_k, k], dim=2)  # (B, H, S + T, Dh)
        v = torch.cat([past_v, v], dim=2)  # (B, H, S + T, Dh)
    t, total = x_new.size(1), k.size(2)
    # (T, S + T): new position i sees every key up to absolute position S + i
    mask = torch.ones(t, total, dtype=torch.bool, device=x_new.device).tril(diagonal=total - t)
    out, _ = scaled_dot_product_attention(q, k, v, mask)  # (B, H, T, Dh)
    return attn.out_proj(merge_heads(out)), (k, v)  # (B, T, E), 2 x (B, H, S + T, Dh)


def _layer_step(layer: EncoderLayer, x: Tensor, past: tuple[Tensor, Tensor] | None
                ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """One causal layer of :class:`CausalLM` on the new positions, with its cache."""
    present: list[tuple[Tensor, Tensor]] = []

    def self_attention(h: Tensor) -> Tensor:
        out, kv = attend_with_cache(layer.self_attn, h, past)
        present.append(kv)
        return layer.dropout1(out)

    x = sublayer_connection(x, self_attention, layer.norm1, layer.norm_first)  # (B, T, E)
    x = sublayer_connection(x, layer._feed_forward, layer.norm2, layer.norm_first)  # (B, T, E)
    return x, present[0]


def cached_forward(model: CausalLM, new_ids: Tensor, cache: KVCache | None = None
                   ) -> tuple[Tensor, KVCache]:
    """Run ``model`` on ``new_ids`` ``(B, T)`` that follow the positions in ``cache``.

    Returns the logits of the new positions ``(B, T, V)`` and the cache extended by them
    (one ``(keys, values)`` pair per layer). ``cached_forward(model, ids)`` on a whole
    sequence equals ``model(ids)`` (no padding); feeding the same ids in pieces, each with
    the cache of the pieces before, gives the same logits, piece by piece. Positions
    continue from the cache's length (the positional encoding of position S + i).
    """
    check_ids(new_ids, "new_ids", vocab_size=model.config.vocab_size)
    start = 0 if not cache else cache[0][0].size(2)
    total = start + new_ids.size(1)
    if total > model.config.max_len:
        raise ValueError(f"expected at most max_len={model.config.max_len} positions, got "
                         f"{start} cached + {new_ids.size(1)} new")
    emb = model.embedding
    x = emb.token(new_ids) * emb.scale + emb.positions(total)[start:]  # (B, T, E) + (T, E)
    x = emb.dropout(x)  # (B, T, E)
    present: KVCache = []
    for i, layer in enumerate(model.decoder.layers):
        x, kv = _layer_step(layer, x, cache[i] if cache else None)  # (B, T, E)
        present.append(kv)
    if model.decoder.norm is not None:
        x = model.decoder.norm(x)  # (B, T, E)
    return model.lm_head(x), present  # (B, T, V)


def generate_greedy(model: CausalLM, prompt_ids: Tensor, max_new_tokens: int, *,
                    use_cache: bool = True) -> Tensor:
    """Append ``max_new_tokens`` greedy tokens to ``prompt_ids`` ``(B, P)``: ``(B, P + n)``.

    With ``use_cache`` each step feeds only the newest token and the cache; without it,
    each step re-runs the model on the whole prefix. Both give the same tokens (the point
    of the cache is speed alone). No early stop at ``</s>``, so the two cost the same number
    of steps. Runs in eval mode without gradients and restores the training flag.
    """
    check_ids(prompt_ids, "prompt_ids", vocab_size=model.config.vocab_size)
    check_positive_int(max_new_tokens, "max_new_tokens")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            ids, cache, step = prompt_ids, None, prompt_ids
            for _ in range(max_new_tokens):
                if use_cache:
                    logits, cache = cached_forward(model, step, cache)  # (B, T, V)
                else:
                    logits = model(ids)  # (B, L, V): the whole prefix again
                step = logits[:, -1].argmax(dim=-1, keepdim=True)  # (B, 1)
                ids = torch.cat([ids, step], dim=1)  # (B, L + 1)
            return ids
    finally:
        model.train(was_training)
