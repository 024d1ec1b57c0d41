def causal_lm_loss(logits, input_ids, pad_id=0):
    """Mean NLL of each next token: logits[:, t] scores input_ids[:, t + 1]; padding is ignored."""
    # The mistake: no shift, so each position is scored on the token it reads.
    targets = input_ids.masked_fill(input_ids == pad_id, -100)  # (B, T)
    return dataset_nll(logits, targets, reduction="token_mean")
