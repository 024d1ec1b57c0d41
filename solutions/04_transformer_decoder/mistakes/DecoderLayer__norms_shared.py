class DecoderLayer(nn.Module):
    """Masked self-attention, cross-attention to the encoder memory, feed-forward; residual + LayerNorm each."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu", norm_first=False,
                 layer_norm_eps=1e-5):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = FeedForward(d_model, d_ff, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps)

    def forward(self, x, memory, self_mask=None, memory_mask=None):
        """x (B, T, E), memory (B, S, E) -> (B, T, E)."""
        norm = self.norm1
        if self.norm_first:
            h = norm(x)
            x = x + self.self_attn(h, h, h, self_mask)[0]
            x = x + self.cross_attn(norm(x), memory, memory, memory_mask)[0]
            return x + self.ff(norm(x))
        x = norm(x + self.self_attn(x, x, x, self_mask)[0])
        x = norm(x + self.cross_attn(x, memory, memory, memory_mask)[0])
        return norm(x + self.ff(x))
