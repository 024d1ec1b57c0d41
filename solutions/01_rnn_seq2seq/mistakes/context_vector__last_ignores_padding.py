def context_vector(hidden_states, mode="last", mask=None):
    """c = m(h_1, ..., h_T): (B, T, H) -> (B, H).

    mode "last": the state of the last real token of each row; "mean": the mean of the
    states of the real tokens. mask: None (all real) or (B, T) bool, True at real tokens.
    """
    if mask is None:
        mask = torch.ones(hidden_states.shape[:2], dtype=torch.bool)
    if mode == "last":
        return hidden_states[:, -1, :]
    m = mask.unsqueeze(-1).to(hidden_states.dtype)
    return (hidden_states * m).sum(dim=1) / m.sum(dim=1)
