def masked_mean_pool(hidden, attention_mask):
    """The mean of hidden (B, T, E) over the positions where attention_mask (B, T) is True: (B, E)."""
    # The mistake: the mean over all T positions, [PAD] included.
    return hidden.mean(dim=1)
