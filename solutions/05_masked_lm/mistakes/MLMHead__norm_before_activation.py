class MLMHead(nn.Module):
    """BERT's prediction head: proj(norm(gelu(dense(hidden)))), (B, T, E) -> (B, T, V)."""

    def __init__(self, d_model, vocab_size):
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.norm = nn.LayerNorm(d_model)
        self.proj = nn.Linear(d_model, vocab_size)

    def forward(self, hidden):
        # The mistake: LayerNorm before GELU.
        return self.proj(F.gelu(self.norm(self.dense(hidden))))
