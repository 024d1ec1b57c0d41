# ruff: noqa: F821
# A notebook solution cell: torch, nn, F, math and the earlier cells' names are defined above it.
class Encoder(nn.Module):
    """num_layers encoder layers, each with its own weights; a final LayerNorm when pre-norm."""

    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__()
        self.layers = [EncoderLayer(d_model, num_heads, d_ff, dropout, activation, norm_first,
                                    layer_norm_eps) for _ in range(num_layers)]
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps) if norm_first else None

    def forward(self, x, mask=None):
        """(B, T, d_model) -> (B, T, d_model); the same mask for every layer."""
        for layer in self.layers:
            x = layer(x, mask)
        return x if self.norm is None else self.norm(x)
