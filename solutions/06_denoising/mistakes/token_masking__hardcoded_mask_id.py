def token_masking(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    '''Replace ceil(mask_ratio * n) random body tokens by mask_token_id: a new (T,) tensor.'''
    # the mistake: [MASK] written as this course's id 4, not the mask_token_id argument
    head, body, tail = split_boundary(tokens)
    k = math.ceil(mask_ratio * len(body))
    body = body.clone()
    body[torch.randperm(len(body), generator=generator)[:k]] = 4
    return torch.cat([head, body, tail])
