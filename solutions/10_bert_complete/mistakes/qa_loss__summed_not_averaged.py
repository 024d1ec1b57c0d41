def qa_loss(start_logits, end_logits, start_positions, end_positions):
    """The mean of the start and end cross-entropies over the positions of each row (a scalar)."""
    start_loss = F.cross_entropy(start_logits, start_positions)
    end_loss = F.cross_entropy(end_logits, end_positions)
    # The mistake: the two losses are added, not averaged.
    return start_loss + end_loss
