def dataset_nll(logits, targets, reduction="sum", ignore_index=-100):
    """NLL of a batch of sequences, a scalar: "sum", "mean", "token_mean" or "length_normalized"."""
    nll = -sequence_log_prob(logits, targets, ignore_index)  # (B,)
    lengths = (targets != ignore_index).sum(dim=-1)  # (B,)
    if reduction == "sum":
        return nll.sum()
    if reduction == "mean":
        return nll.mean()
    # The mistake: "length_normalized" is computed like "token_mean" (total / all tokens).
    if reduction in ("token_mean", "length_normalized"):
        return nll.sum() / lengths.sum()
    raise ValueError(f"unknown reduction {reduction!r}")
