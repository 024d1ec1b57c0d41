def scaled_dot_product_attention(q, k, v, mask=None):
    """softmax(q k^T / sqrt(Dh)) v with an optional bool mask (True = may attend).

    q: (B, H, T, Dh); k: (B, H, S, Dh); v: (B, H, S, Dv);
    mask: None or a bool tensor broadcastable to (B, H, T, S).
    Returns (out, weights): out (B, H, T, Dv) and weights (B, H, T, S). A query whose
    mask row is all False gets zero weights and a zero output.
    """
    scores = torch.matmul(q, k.transpose(-2, -1))
    if mask is not None:
        scores = scores.masked_fill(mask == 0, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    weights = torch.nan_to_num(weights, nan=0.0)
    out = torch.matmul(weights, v)
    return out, weights
