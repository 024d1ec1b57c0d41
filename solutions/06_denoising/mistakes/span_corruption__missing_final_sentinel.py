def span_corruption(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0, generator=None):
    '''T5 span corruption: (inputs, targets), two 1-D long tensors.'''
    head, body, tail = split_boundary(tokens)
    n, values = len(body), body.tolist()
    num_noise = min(max(round(noise_density * n), 1), n - 1)
    num_spans = min(max(1, round(num_noise / mean_span_length)), num_noise, n - num_noise + 1)
    cuts = sorted(torch.randperm(num_noise - 1, generator=generator)[: num_spans - 1].tolist())
    edges = [0, *(c + 1 for c in cuts), num_noise]
    lengths = [edges[i + 1] - edges[i] for i in range(num_spans)]
    num_gaps = n - num_noise + 1
    gaps = set(torch.randperm(num_gaps, generator=generator)[:num_spans].tolist())
    inputs, targets, pos, span = head.tolist(), [], 0, 0
    for gap in range(num_gaps):
        if gap in gaps:
            inputs.append(sentinel_ids[span])
            targets += [sentinel_ids[span], *values[pos: pos + lengths[span]]]
            pos += lengths[span]
            span += 1
        if gap < num_gaps - 1:
            inputs.append(values[pos])
            pos += 1
    inputs += tail.tolist()
    targets += tail.tolist()  # the targets stop after the last span
    return torch.tensor(inputs, dtype=torch.long), torch.tensor(targets, dtype=torch.long)
