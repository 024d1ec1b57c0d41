def masked_mean_pool(hidden, attention_mask):
    """The mean of hidden (B, T, E) over the positions where attention_mask (B, T) is True: (B, E)."""
    real = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    # The mistake: divided by the number of real tokens of the whole batch, not of each row.
    return (hidden * real).sum(dim=1) / real.sum()
