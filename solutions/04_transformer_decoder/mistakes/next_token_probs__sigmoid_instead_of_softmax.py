def next_token_probs(decoder_states, weight, bias):
    """softmax(decoder_states @ weight.T + bias) over the vocabulary: (B, T, E) -> (B, T, V)."""
    logits = decoder_states @ weight.T + bias  # (B, T, V)
    return torch.sigmoid(logits)
