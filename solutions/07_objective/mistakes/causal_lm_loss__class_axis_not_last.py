def causal_lm_loss(logits, input_ids, pad_id=0):
    """Mean NLL of each next token: logits[:, t] scores input_ids[:, t + 1]; padding is ignored."""
    targets = input_ids[:, 1:]  # (B, T-1)
    if pad_id is not None:
        targets = targets.masked_fill(targets == pad_id, -100)
    # The mistake: (B, T-1, V) logits with (B, T-1) targets; cross_entropy wants classes on axis 1.
    return F.cross_entropy(logits[:, :-1], targets, ignore_index=-100)
