def causal_mask(size):
    """Return a (size, size) bool tensor: entry [i, j] is True when query i may attend key j (j <= i)."""
    rows = torch.arange(size).unsqueeze(1)  # (T, 1)
    cols = torch.arange(size).unsqueeze(0)  # (1, T)
    return cols < rows  # only the past
