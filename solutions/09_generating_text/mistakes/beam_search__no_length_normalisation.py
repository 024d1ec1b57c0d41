def beam_search(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha=1.0):
    """The best finished hypothesis of a beam search and its score log Pr / n**alpha.
    Returns (tokens (L,) long, starting with bos_id; score)."""
    ### BEGIN SOLUTION
    beams = torch.tensor([[bos_id]])  # (N, L): the alive hypotheses
    scores = None  # (N,): their log-probabilities
    finished = []  # (tokens, final score) pairs
    for n in range(1, max_new_tokens + 1):
        log_probs = next_log_probs(beams)  # (N, V)
        if scores is None:
            scores = torch.zeros(1, dtype=log_probs.dtype)
        vocab = log_probs.size(-1)
        candidates = (scores[:, None] + log_probs).flatten()  # (N * V,)
        top = candidates.topk(min(beam_width, candidates.numel()))
        rows, tokens = top.indices // vocab, top.indices % vocab  # (K,), (K,)
        beams = torch.cat([beams[rows], tokens[:, None]], dim=1)  # (K, L + 1)
        done = (tokens == eos_id) | (n == max_new_tokens)  # (K,)
        for i in done.nonzero().flatten().tolist():
            finished.append((beams[i], top.values[i]))
        beams, scores = beams[~done], top.values[~done]
        if len(beams) == 0:
            break
    return max(finished, key=lambda pair: float(pair[1]))
    ### END SOLUTION
