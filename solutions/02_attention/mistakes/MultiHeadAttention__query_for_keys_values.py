class MultiHeadAttention(nn.Module):
    """Multi-head attention with sub-modules q_proj, k_proj, v_proj and out_proj."""

    def __init__(self, d_model, num_heads, dropout=0.0, bias=True):
        super().__init__()
        self.h = num_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, query, key, value, mask=None):
        """query (B, T, E), key and value (B, S, E) -> (out (B, T, E), weights (B, H, T, S))."""
        x = query  # self-attention: everything comes from the same sequence
        q = split_heads(self.q_proj(x), self.h)
        k = split_heads(self.k_proj(x), self.h)
        v = split_heads(self.v_proj(x), self.h)
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(merge_heads(out)), weights
