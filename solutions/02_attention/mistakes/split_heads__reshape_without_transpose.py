def split_heads(x, num_heads):
    """(B, T, E) -> (B, H, T, Dh) with Dh = E // num_heads.

    Head h gets the features h*Dh .. (h+1)*Dh - 1 of every position.
    """
    B, T, E = x.shape
    head_dim = E // num_heads
    return x.reshape(B, num_heads, T, head_dim)
