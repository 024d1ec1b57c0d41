def teacher_forced_loss(logits, labels, reduction="sum"):
    """L = -sum_t log p(y_t | y_<t, c) over the positions whose label is not -100.

    logits (B, T, V), labels (B, T). "sum": the total; "mean": divided by the number of
    labelled tokens.
    """
    log_probs = torch.log_softmax(logits, dim=-1)
    targets = labels.clamp(min=0)  # -100 is not a valid index
    picked = log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    total = -picked.sum()
    if reduction == "sum":
        return total
    return total / (labels != -100).sum()
