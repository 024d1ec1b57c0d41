"""Token and positional embeddings (lesson 03).

Book: *Foundations of LLMs* ch. 1, the input of a Transformer is the sum of a
token embedding and a positional embedding, because self-attention by itself
ignores order; the positional part is either a fixed sinusoid
PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d))
(Vaswani et al. 2017, sec. 3.5) or a learned table (BERT). Peers: Hugging Face
``BertEmbeddings`` (learned positions, without its LayerNorm and token types)
and the sinusoidal embedding of fairseq / ``BartScaledWordEmbedding`` scaling.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from ._checks import check_choice, check_ids, check_positive_int, check_probability
from .tokenizer import PAD_ID

Positional = Literal["sinusoidal", "learned"]
POSITIONAL_KINDS = ("sinusoidal", "learned")


def sinusoidal_positional_encoding(max_len: int, d_model: int,
                                   dtype: torch.dtype | None = None) -> Tensor:
    """The ``(max_len, d_model)`` table of Vaswani et al.: sin on even dims, cos on odd dims.

    Dimensions 2i and 2i+1 share the frequency 1 / 10000^(2i / d_model), so each
    pair is a rotation and PE(pos + k) is a linear function of PE(pos). An odd
    ``d_model`` simply drops the last cosine column.
    """
    check_positive_int(max_len, "max_len")
    check_positive_int(d_model, "d_model")
    dtype = dtype or torch.get_default_dtype()
    # Compute in float64 and cast at the end, so the table is the same for every dtype.
    position = torch.arange(max_len, dtype=torch.float64)[:, None]  # (L, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # (ceil(d/2),)
    angle = position / 10000.0 ** (two_i / d_model)  # (L, ceil(d/2))
    pe = torch.empty(max_len, d_model, dtype=torch.float64)  # (L, d)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    return pe.to(dtype)


class TransformerEmbedding(nn.Module):
    """x_i = sqrt(d_model) * e(token_i) + p(i), followed by dropout: ``(B, T) -> (B, T, E)``.

    Sub-modules: ``token`` (``nn.Embedding``, ``padding_idx=pad_id``: the pad
    row stays zero) and ``position`` (``nn.Embedding(max_len, d_model)`` when
    ``positional="learned"``, else ``None`` and the fixed sinusoid is the
    non-persistent buffer ``pe``, so checkpoints do not depend on it).

    Scaling (Vaswani et al. sec. 3.4): token vectors are initialised with std
    1/sqrt(d_model) and multiplied by sqrt(d_model) in ``forward``. The sum then
    starts with token and position parts of the same size (std 1 against
    sinusoids in [-1, 1]), and a weight-tied output projection gets the small
    entries that keep initial logits near zero.
    """

    def __init__(self, vocab_size: int, d_model: int, max_len: int,
                 positional: Positional = "sinusoidal", dropout: float = 0.0,
                 pad_id: int = PAD_ID) -> None:
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("d_model", d_model), ("max_len", max_len)):
            check_positive_int(value, name)
        check_choice(positional, "positional", POSITIONAL_KINDS)
        check_probability(dropout, "dropout")
        if isinstance(pad_id, bool) or not isinstance(pad_id, int) or not 0 <= pad_id < vocab_size:
            raise ValueError(f"expected pad_id in [0, {vocab_size}), got {pad_id!r}")
        self.vocab_size, self.d_model, self.max_len = vocab_size, d_model, max_len
        self.positional, self.pad_id = positional, pad_id
        self.scale = math.sqrt(d_model)
        self.token = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        nn.init.normal_(self.token.weight, std=d_model**-0.5)
        with torch.no_grad():
            self.token.weight[pad_id].zero_()
        self.position: nn.Embedding | None = None
        if positional == "learned":
            self.position = nn.Embedding(max_len, d_model)
        else:
            self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model), persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, input_ids: Tensor) -> Tensor:
        """Ids ``(B, T)`` with T <= max_len -> embeddings ``(B, T, E)``."""
        check_ids(input_ids, "input_ids", vocab_size=self.vocab_size, max_len=self.max_len)
        x = self.token(input_ids) * self.scale  # (B, T, E)
        return self.dropout(x + self.positions(input_ids.size(1)))  # (B, T, E) + (T, E)

    def positions(self, length: int) -> Tensor:
        """The positional vectors of positions 0 .. length-1: ``(T, E)``."""
        if self.position is not None:
            return self.position.weight[:length]  # (T, E)
        return self.pe[:length].to(self.token.weight.dtype)  # (T, E), follows model.double()
