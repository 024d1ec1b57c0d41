def last_four_layers(encoder, x, mask=None, combine="concat"):
    """Features from the last four layers of encoder on x (B, T, E): (B, T, 4E) concatenated, (B, T, E) summed."""
    states = []
    for layer in encoder.layers:
        x = layer(x, mask)  # (B, T, E)
        states.append(x)
    # The mistake: the last layer first.
    last = states[::-1][:4]
    if combine == "concat":
        return torch.cat(last, dim=-1)  # (B, T, 4E)
    return torch.stack(last).sum(dim=0)  # (B, T, E)
