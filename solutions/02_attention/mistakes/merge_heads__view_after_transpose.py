def merge_heads(x):
    """(B, H, T, Dh) -> (B, T, H * Dh), the inverse of split_heads."""
    B, H, T, Dh = x.shape
    return x.transpose(1, 2).view(B, T, H * Dh)
