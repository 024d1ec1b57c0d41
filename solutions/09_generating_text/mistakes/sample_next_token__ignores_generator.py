def sample_next_token(logits, temperature=1.0, top_k=0, top_p=1.0, *, generator=None):
    """One token per row of logits (B, V): temperature, then top-k, then top-p, then a seeded
    draw from the softmax of what is left. Returns (B,) long."""
    ### BEGIN SOLUTION
    scores = top_p_filter(top_k_filter(logits / temperature, top_k), top_p)  # (B, V)
    probs = torch.softmax(scores, dim=-1)  # (B, V): removed tokens have probability 0
    return torch.multinomial(probs, 1).squeeze(-1)  # (B,)
    ### END SOLUTION
