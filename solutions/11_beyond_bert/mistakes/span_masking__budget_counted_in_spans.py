def span_masking(input_ids, *, mask_token_id, vocab_size, special_ids, mask_ratio=0.15, p=0.2,
                 max_len=10, mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """SpanBERT masking of a (B, T) batch -> (inputs, labels), both (B, T) long."""
    specials = torch.tensor(list(special_ids))
    words = torch.tensor([i for i in range(vocab_size) if i not in set(special_ids)])
    special = torch.isin(input_ids, specials)  # (B, T)
    inputs, labels = input_ids.clone(), torch.full_like(input_ids, -100)
    T = input_ids.shape[1]
    for row in range(input_ids.shape[0]):
        eligible = (~special[row]).nonzero().squeeze(1)
        num_spans = math.ceil(mask_ratio * len(eligible))
        taken = torch.zeros(T, dtype=torch.bool)
        spans = []
        # The mistake: 15% of the tokens become 15% as many SPANS as tokens.
        while len(spans) < num_spans and not bool(taken[eligible].all()):
            length = int(span_lengths(1, p=p, max_len=max_len, generator=generator))
            start = int(eligible[torch.randint(len(eligible), (1,), generator=generator)])
            if taken[start]:
                continue
            end = start
            while end < min(start + length, T) and not special[row, end] and not taken[end]:
                taken[end] = True
                end += 1
            spans.append((start, end))
        for start, end in spans:
            labels[row, start:end] = input_ids[row, start:end]
            u = float(torch.rand((), generator=generator))
            if u < mask_replace_prob:
                inputs[row, start:end] = mask_token_id
            elif u < mask_replace_prob + random_replace_prob:
                inputs[row, start:end] = words[torch.randint(len(words), (end - start,), generator=generator)]
    return inputs, labels
