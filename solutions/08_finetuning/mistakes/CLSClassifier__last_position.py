class CLSClassifier(nn.Module):
    """A sentence classifier: the encoder body, then the [CLS] vector -> dropout -> linear.

    forward(input_ids (B, T), [CLS] first, [PAD] after each sentence) -> logits (B, num_labels).
    """

    def __init__(self, vocab_size, num_labels, d_model=64, num_heads=4, d_ff=128, num_layers=2,
                 max_len=64, dropout=0.1):
        super().__init__()
        # The encoder body, provided: built as in MaskedLM, with the same sub-module names.
        self.embedding = TransformerEmbedding(vocab_size, d_model, max_len, dropout=dropout)
        self.encoder = Encoder(num_layers, d_model, num_heads, d_ff, dropout, activation="gelu")
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(d_model, num_labels)

    def forward(self, input_ids):
        mask = expand_padding_mask(padding_mask(input_ids, PAD_ID))  # (B, 1, 1, T)
        hidden = self.encoder(self.embedding(input_ids), mask)  # (B, T, E)
        # The mistake: the last position, [PAD] in every sentence shorter than the batch.
        return self.classifier(self.dropout(hidden[:, -1]))
