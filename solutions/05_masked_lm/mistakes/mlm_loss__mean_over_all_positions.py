def mlm_loss(logits, labels):
    """Mean cross-entropy over the positions with a label (labels != -100): a scalar."""
    vocab_size = logits.shape[-1]
    losses = F.cross_entropy(logits.reshape(-1, vocab_size), labels.reshape(-1), reduction="none")
    # The mistake: the unselected positions (loss 0) are counted in the mean.
    return losses.mean()
