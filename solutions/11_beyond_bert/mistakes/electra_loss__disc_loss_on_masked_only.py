def electra_loss(generator_logits, mlm_labels, disc_logits, disc_labels, attention_mask, disc_weight=50.0):
    """L_MLM (masked positions) + disc_weight * BCE of disc_logits (B, T) over the real positions."""
    generator_loss = mlm_loss(generator_logits, mlm_labels)
    # The mistake: the discriminator is judged at the masked positions only, as in MLM.
    masked = mlm_labels != -100
    disc = F.binary_cross_entropy_with_logits(disc_logits[masked], disc_labels[masked].to(disc_logits.dtype))
    return generator_loss + disc_weight * disc
