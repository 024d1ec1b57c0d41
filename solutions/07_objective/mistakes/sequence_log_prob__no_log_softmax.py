def sequence_log_prob(logits, targets, ignore_index=-100):
    """log p(y) = sum_t log p(y_t | y_<t) for each sequence: (B, T, V), (B, T) -> (B,)."""
    keep = targets != ignore_index  # (B, T)
    safe = targets.masked_fill(~keep, 0)
    # The mistake: the raw logits are used as if they were log-probabilities.
    picked = logits.gather(-1, safe.unsqueeze(-1)).squeeze(-1)  # (B, T)
    return torch.where(keep, picked, torch.zeros_like(picked)).sum(dim=-1)
