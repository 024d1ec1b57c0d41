def merge_heads(x):
    """(B, H, T, Dh) -> (B, T, H * Dh), the inverse of split_heads."""
    return x.sum(dim=1)
