class RNNDecoder(nn.Module):
    """RNN decoder: s_t = tanh(W_y e(y_{t-1}) + W_s s_{t-1} + W_c c + b), logits = W_o s_t + b_o."""

    def __init__(self, vocab_size, embed_dim, hidden_size, pad_id=PAD_ID):
        super().__init__()
        self.hidden_size, self.pad_id = hidden_size, pad_id
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)  # e(y)
        self.input_to_hidden = nn.Linear(embed_dim, hidden_size)  # W_y and b
        self.hidden_to_hidden = nn.Linear(hidden_size, hidden_size, bias=False)  # W_s
        self.context_to_hidden = nn.Linear(hidden_size, hidden_size, bias=False)  # W_c
        self.output = nn.Linear(hidden_size, vocab_size)  # W_o and b_o

    def init_state(self, context):
        """s_0 = c."""
        return context

    def step(self, prev_state, prev_token, context):
        """s_{t-1} (B, H), y_{t-1} (B,), c (B, H) -> (s_t (B, H), logits (B, V))."""
        # the context is already in s_0, so it is not added again here
        state = torch.tanh(self.input_to_hidden(self.embedding(prev_token))
                           + self.hidden_to_hidden(prev_state))
        return state, self.output(state)

    def forward(self, tgt_in, context):
        """Teacher forcing: tgt_in (B, T) holds the true previous tokens -> logits (B, T, V)."""
        state = self.init_state(context)
        logits = []
        for t in range(tgt_in.shape[1]):
            state, step_logits = self.step(state, tgt_in[:, t], context)
            logits.append(step_logits)
        return torch.stack(logits, dim=1)
