def perplexity(logits, targets, ignore_index=-100):
    """exp(mean NLL over the real target tokens): (B, T, V), (B, T) -> 0-d tensor."""
    ### BEGIN SOLUTION
    real = targets != ignore_index  # (B, T)
    log_probs = F.log_softmax(logits, dim=-1)  # (B, T, V)
    picked = log_probs.gather(-1, targets.masked_fill(~real, 0).unsqueeze(-1)).squeeze(-1)  # (B, T)
    mean_nll = -picked[real].sum() / real.sum()  # over every real token of the batch
    return mean_nll
    ### END SOLUTION
