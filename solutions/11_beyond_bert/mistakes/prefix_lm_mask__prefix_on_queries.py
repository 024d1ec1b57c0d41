def prefix_lm_mask(input_ids, prefix_lengths, pad_id=0):
    """(B, 1, T, T) bool: key j is real, and j <= i or j < prefix_lengths[b]."""
    T = input_ids.shape[1]
    real = padding_mask(input_ids, pad_id)  # (B, T)
    # The mistake: the prefix condition on the QUERY axis lets prefix tokens see the continuation.
    in_prefix = torch.arange(T)[None, :] < prefix_lengths[:, None]  # (B, T)
    allowed = causal_mask(T)[None, :, :] | in_prefix[:, :, None]  # (B, T, T)
    return (allowed & real[:, None, :])[:, None, :, :]
