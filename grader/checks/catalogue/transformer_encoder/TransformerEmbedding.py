"""``TransformerEmbedding``: the reference (``reference.embeddings``) and its catalogued
mistakes."""

from __future__ import annotations

from reference.embeddings import TransformerEmbedding

from .. import Entry, Requirement, mistake
from ._common import ID


class _Embedding(TransformerEmbedding):
    """The reference's modules; ``forward`` pieced together from parts the mistakes replace."""

    def tokens(self, input_ids):
        return self.token(input_ids) * self.scale  # (B, T, E)

    def forward(self, input_ids):
        return self.dropout(self.tokens(input_ids) + self.positions(input_ids.size(1)))


@mistake("missing_scale", "multiply the token embeddings by sqrt(d_model) before adding the "
         "positions (Vaswani et al. sec. 3.4), so tokens and positions start at a similar size.")
class EmbNoScale(_Embedding):
    def tokens(self, input_ids):
        return self.token(input_ids)


@mistake("scaled_after_adding", "only the token embeddings are scaled: "
         "x = sqrt(d_model) * token(ids) + positions, not sqrt(d_model) * (token + positions).")
class EmbScaleAfterAdding(_Embedding):
    def forward(self, input_ids):
        x = self.token(input_ids) + self.positions(input_ids.size(1))
        return self.dropout(x * self.scale)


@mistake("divided_by_scale", "MULTIPLY the token embeddings by sqrt(d_model) "
         "(math.sqrt(d_model)); dividing makes them smaller than the positions.")
class EmbDivided(_Embedding):
    def tokens(self, input_ids):
        return self.token(input_ids) / self.scale


@mistake("positions_not_added", "add the positional vectors of positions 0 .. T-1 to the "
         "scaled token embeddings; without them the encoder cannot tell word order.")
class EmbNoPositions(_Embedding):
    def forward(self, input_ids):
        return self.dropout(self.tokens(input_ids))


@mistake("positions_from_token_ids", "positions are 0, 1, ..., T-1 (the index of each token in "
         "its sequence, torch.arange(T)), not the token ids: take the first T rows of the "
         "position table.")
class EmbPositionsFromIds(_Embedding):
    def forward(self, input_ids):
        table = self.position.weight if self.position is not None else self.pe
        return self.dropout(self.tokens(input_ids) + table[input_ids])


@mistake("padding_idx_missing", "create the token embedding with padding_idx=pad_id: the [PAD] "
         "vector then gets no gradient and stays what it is. The values are right; the gradient "
         "of the [PAD] row is not zero.")
class EmbNoPaddingIdx(_Embedding):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.token.padding_idx = None


@mistake("padding_idx_hardcoded", "use the pad_id argument (padding_idx=pad_id), not 0: here "
         "[PAD] is another id and id 0 is a real token whose vector must be trained.")
class EmbPaddingIdxZero(_Embedding):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.token.padding_idx = 0


@mistake("learned_table_always", "create the learned table self.position = "
         "nn.Embedding(max_len, d_model) only when positional='learned'; with 'sinusoidal' the "
         "positions are the fixed table (a buffer, or a tensor computed in forward), not a "
         "parameter, and self.position is None.")
class EmbAlwaysLearned(_Embedding):
    def __init__(self, vocab_size, d_model, max_len, positional="sinusoidal", dropout=0.0, pad_id=0):
        super().__init__(vocab_size, d_model, max_len, "learned", dropout, pad_id)


@mistake("positions_start_at_1", "positions count from 0: the first token of a sequence gets "
         "row 0 of the position table, the last of T tokens row T - 1.")
class EmbPositionsFromOne(_Embedding):
    def forward(self, input_ids):
        table = self.position.weight if self.position is not None else self.pe
        t = input_ids.size(1)
        return self.dropout(self.tokens(input_ids) + table[1:t + 1])


EMBEDDING_MISTAKES = (EmbNoScale, EmbScaleAfterAdding, EmbDivided, EmbNoPositions, EmbPositionsFromIds,
                      EmbNoPaddingIdx, EmbPaddingIdxZero, EmbAlwaysLearned, EmbPositionsFromOne)

REQUIREMENTS = (
    Requirement("token vectors are multiplied by sqrt(d_model)",
                ("missing_scale", "divided_by_scale")),
    Requirement("only the token vectors are scaled, never the positions", ("scaled_after_adding",)),
    Requirement("the position vectors are added to the token vectors",
                ("positions_not_added",)),
    Requirement("the positions are 0 .. T-1 (the index in the sequence): the first T rows of the "
                "table", ("positions_from_token_ids", "positions_start_at_1")),
    Requirement("token = nn.Embedding(vocab_size, d_model, padding_idx=pad_id), with the pad_id "
                "argument", ("padding_idx_missing", "padding_idx_hardcoded")),
    Requirement("position = nn.Embedding(max_len, d_model) only when positional='learned'; "
                "otherwise the fixed sinusoidal table, not a parameter", ("learned_table_always",)),
)

ENTRY = Entry(f"{ID}/TransformerEmbedding", TransformerEmbedding, EMBEDDING_MISTAKES, points=2,
              requirements=REQUIREMENTS)
