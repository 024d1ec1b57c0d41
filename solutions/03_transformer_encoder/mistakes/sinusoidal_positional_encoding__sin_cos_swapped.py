# ruff: noqa: F821
# A notebook solution cell: torch, nn, F, math and the earlier cells' names are defined above it.
# sample-expect: check_TransformerEmbedding=0
def sinusoidal_positional_encoding(max_len, d_model):
    """The (max_len, d_model) table: PE[pos, 2i] = sin(pos / 10000^(2i/d_model)),
    PE[pos, 2i+1] = cos(pos / 10000^(2i/d_model)), for pos = 0 .. max_len-1."""
    position = torch.arange(max_len, dtype=torch.float32)[:, None]
    div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.cos(position * div_term)
    pe[:, 1::2] = torch.sin(position * div_term)[:, : d_model // 2]
    return pe
