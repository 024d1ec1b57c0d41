def decoder_self_mask(tgt_ids, pad_id=PAD_ID):
    """Decoder self-attention mask (B, 1, T, T): True where key j <= query i and tgt_ids[:, j] != pad_id."""
    t = tgt_ids.size(1)
    causal = torch.triu(torch.ones(t, t, dtype=torch.bool))  # (T, T)
    keys = (tgt_ids != pad_id)[:, None, None, :]  # (B, 1, 1, T)
    return keys & causal  # (B, 1, T, T)
