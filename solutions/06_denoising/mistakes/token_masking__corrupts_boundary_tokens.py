def token_masking(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    '''Replace ceil(mask_ratio * n) random body tokens by mask_token_id: a new (T,) tensor.'''
    # the whole sequence is masked, [CLS]/<s>/[SEP]/</s> included
    k = math.ceil(mask_ratio * len(tokens))
    chosen = torch.randperm(len(tokens), generator=generator)[:k]
    out = tokens.clone()
    out[chosen] = mask_token_id
    return out
