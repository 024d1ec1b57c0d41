# ruff: noqa: F821
# A notebook solution cell: torch, nn, F, math and the earlier cells' names are defined above it.
# sample-expect: check_EncoderLayer=0
# sample-expect: check_Encoder=0
class FeedForward(nn.Module):
    """linear2(dropout(activation(linear1(x)))), the same at every position."""

    def __init__(self, d_model, d_ff, dropout=0.0, activation="relu"):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)
        self.activation = F.gelu if activation == "gelu" else F.relu

    def forward(self, x):
        """(B, T, d_model) -> (B, T, d_model)."""
        return self.activation(self.linear2(self.dropout(self.linear1(x))))
