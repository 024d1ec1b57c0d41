def mask_tokens(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """BERT's masking of a (B, T) long batch; returns (inputs, labels), both (B, T) long."""
    special = torch.isin(input_ids, torch.tensor(list(special_ids)))
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special
    action = torch.rand(input_ids.shape, generator=generator)
    inputs = input_ids.clone()
    inputs[selected & (action < mask_replace_prob)] = mask_token_id
    words = torch.tensor([i for i in range(vocab_size) if i not in special_ids])
    random_ids = words[torch.randint(len(words), input_ids.shape, generator=generator)]
    to_random = selected & (action >= mask_replace_prob) & (action < mask_replace_prob + random_replace_prob)
    inputs[to_random] = random_ids[to_random]
    # The mistake: the labels are taken from the corrupted inputs, not from input_ids.
    labels = inputs.clone()
    labels[~selected] = -100
    return inputs, labels
