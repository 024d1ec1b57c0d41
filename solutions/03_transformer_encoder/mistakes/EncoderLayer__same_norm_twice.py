# ruff: noqa: F821
# A notebook solution cell: torch, nn, F, math and the earlier cells' names are defined above it.
# sample-expect: check_Encoder=0
class EncoderLayer(nn.Module):
    """Self-attention and feed-forward sub-layers, each with a residual connection and LayerNorm."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu", norm_first=False,
                 layer_norm_eps=1e-5):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = FeedForward(d_model, d_ff, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)

    def forward(self, x, mask=None):
        """x (B, T, d_model), mask broadcastable to (B, H, T, T) -> (B, T, d_model)."""
        x = sublayer_connection(x, lambda h: self.self_attn(h, h, h, mask)[0], self.norm1, self.norm_first)
        return sublayer_connection(x, self.ff, self.norm1, self.norm_first)
