def discriminator_inputs(input_ids, labels, generator_logits, *, generator=None):
    """ELECTRA: (disc_inputs, disc_labels), both (B, T) long; samples at the masked positions."""
    masked = labels != -100  # (B, T)
    probs = F.softmax(generator_logits.detach()[masked], dim=-1)  # (M, V)
    sampled = torch.multinomial(probs, 1, generator=generator).squeeze(1)  # (M,)
    disc_inputs = input_ids.clone()
    disc_inputs[masked] = sampled
    # The mistake: every masked position counts as replaced, even where the sample is the original.
    disc_labels = masked.long()
    return disc_inputs, disc_labels
