def mask_tokens(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """BERT's masking of a (B, T) long batch; returns (inputs, labels), both (B, T) long."""
    special = torch.isin(input_ids, torch.tensor(list(special_ids)))
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special
    # The mistake: every selected token becomes [MASK]; no random words, none kept.
    inputs = input_ids.masked_fill(selected, mask_token_id)
    labels = input_ids.masked_fill(~selected, -100)
    return inputs, labels
