def mlm_loss(logits, labels):
    """Mean cross-entropy over the positions with a label (labels != -100): a scalar."""
    # The mistake: F.cross_entropy applies log-softmax itself; these are probabilities.
    probs = torch.softmax(logits, dim=-1)
    return F.cross_entropy(probs.reshape(-1, probs.shape[-1]), labels.reshape(-1))
