def text_infilling(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    '''BART text infilling: spans of Poisson length, each replaced by ONE mask_token_id.'''
    head, body, tail = split_boundary(tokens)
    n = len(body)
    budget = math.ceil(mask_ratio * n)
    if budget == 0:
        return tokens.clone()
    lengths, total = [], 0
    while total < budget:
        length = int(torch.poisson(torch.tensor([float(poisson_lambda)]), generator=generator))
        length = min(length, budget - total)
        lengths.append(length)
        total += length
    num_gaps = n - budget + 1
    if len(lengths) <= num_gaps:
        gaps = torch.randperm(num_gaps, generator=generator)[: len(lengths)]
    else:
        gaps = torch.randint(num_gaps, (len(lengths),), generator=generator)
    spans_in = [[] for _ in range(num_gaps)]
    for gap, length in zip(gaps.tolist(), lengths, strict=True):
        spans_in[gap].append(length)
    out, pos = [], 0
    for gap in range(num_gaps):
        for length in spans_in[gap]:
            out += [mask_token_id] * length  # one [MASK] for every hidden token
            pos += length
        if gap < num_gaps - 1:
            out.append(int(body[pos]))
            pos += 1
    return torch.cat([head, torch.tensor(out, dtype=torch.long), tail])
