def causal_lm_loss(logits, input_ids, pad_id=0):
    """Mean NLL of each next token: logits[:, t] scores input_ids[:, t + 1]; padding is ignored."""
    # The mistake: the shift goes the wrong way, so each position predicts the PREVIOUS token.
    targets = input_ids[:, :-1]  # (B, T-1)
    targets = targets.masked_fill(targets == pad_id, -100)
    return F.cross_entropy(logits[:, 1:].transpose(1, 2), targets)
