def teacher_forced_loss(logits, labels, reduction="sum"):
    """L = -sum_t log p(y_t | y_<t, c) over the positions whose label is not -100.

    logits (B, T, V), labels (B, T). "sum": the total; "mean": divided by the number of
    labelled tokens.
    """
    return F.cross_entropy(logits, labels, ignore_index=-100, reduction=reduction)
