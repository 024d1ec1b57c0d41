class RNNEncoder(nn.Module):
    """Elman RNN encoder: h_t = tanh(W_x x_t + W_h h_{t-1} + b), h_0 = 0, padding-aware."""

    def __init__(self, vocab_size, embed_dim, hidden_size, pad_id=PAD_ID):
        super().__init__()
        self.hidden_size, self.pad_id = hidden_size, pad_id
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)  # x_t
        self.input_to_hidden = nn.Linear(embed_dim, hidden_size)  # W_x and b
        self.hidden_to_hidden = nn.Linear(hidden_size, hidden_size, bias=False)  # W_h

    def forward(self, src_ids):
        """src_ids (B, T) -> the hidden states of every step, (B, T, H).

        At a padded position (src_ids == self.pad_id) the previous state is kept.
        """
        x = self.embedding(src_ids)  # (B, T, E); [PAD] embeds to zeros anyway
        h = torch.zeros(src_ids.shape[0], self.hidden_size, dtype=x.dtype)
        states = []
        for t in range(src_ids.shape[1]):
            h = torch.tanh(self.input_to_hidden(x[:, t]) + self.hidden_to_hidden(h))
            states.append(h)
        return torch.stack(states, dim=1)
