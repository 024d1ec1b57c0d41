def attend_with_cache(attn, x_new, cache=None):
    """Causal self-attention of T new positions after S cached ones.

    attn: MultiHeadAttention (q_proj, k_proj, v_proj, out_proj, num_heads).
    x_new: (B, T, E). cache: None or (keys, values), each (B, H, S, Dh).
    Returns (out (B, T, E), (keys, values) each (B, H, S + T, Dh)).
    """
    ### BEGIN SOLUTION
    heads = attn.num_heads
    q = split_heads(attn.q_proj(x_new), heads)  # (B, H, T, Dh)
    k = split_heads(attn.k_proj(x_new), heads)  # (B, H, T, Dh)
    v = split_heads(attn.v_proj(x_new), heads)  # (B, H, T, Dh)
    if cache is not None:
        k = torch.cat([cache[0], k], dim=2)  # (B, H, S + T, Dh): old keys first
        v = torch.cat([cache[1], v], dim=2)  # (B, H, S + T, Dh)
    new, seen = q.size(2), k.size(2)
    # new position i is absolute position S + i: it sees keys 0 .. S + i
    mask = torch.ones(new, seen, dtype=torch.bool).tril()  # (T, S + T)
    out, _ = scaled_dot_product_attention(q, k, v, mask)  # (B, H, T, Dh)
    return attn.out_proj(merge_heads(out)), (k, v)
    ### END SOLUTION
