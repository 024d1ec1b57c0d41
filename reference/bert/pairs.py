"""Sentence-pair inputs (lesson 10): ``[CLS] A [SEP] B [SEP]`` and segment embeddings.

Book: *Foundations of LLMs* ch. 1, BERT's input representation; Devlin et al. 2019,
sec. 3 and fig. 2: a pair of segments is packed into one sequence, the first token is
``[CLS]``, each segment ends with ``[SEP]``, and a learned *segment* (token-type)
embedding, 0 for ``[CLS] A [SEP]`` and 1 for ``B [SEP]``, is added to the token and
position embeddings. BERT reads at most 512 positions; a longer pair is truncated
first, removing one token at a time from the end of the longer segment (B when they
are equally long), as ``_truncate_seq_pair`` in Google's ``run_classifier.py`` does.

Peers: Hugging Face's ``truncation="longest_first"`` for pairs, and ``BertEmbeddings``
(word + learned position + token type, then LayerNorm and dropout).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from reference._checks import check_ids, check_positive_int, check_tensor
from reference.tokenizer import CLS_ID, SEP_ID

__all__ = ["PairEmbedding", "pair_inputs", "truncate_pair"]

#: Special tokens a pair adds: [CLS], and [SEP] after each segment.
NUM_PAIR_SPECIALS = 3


def _check_segment(x: object, name: str) -> Tensor:
    check_tensor(x, name, ndim=1, layout="(L,)")
    assert isinstance(x, Tensor)
    if x.is_floating_point() or x.dtype == torch.bool:
        raise ValueError(f"expected {name} to hold integer token ids, got dtype {x.dtype}")
    return x


def truncate_pair(tokens_a: Tensor, tokens_b: Tensor, max_tokens: int) -> tuple[Tensor, Tensor]:
    """Shorten two 1-D segments until ``len(a) + len(b) <= max_tokens``.

    One token at a time is removed from the end of the longer segment (from B when both
    have the same length), so the longer one is cut first and a short one keeps its
    tokens. Returns new tensors; the arguments are not modified.
    """
    a, b = _check_segment(tokens_a, "tokens_a"), _check_segment(tokens_b, "tokens_b")
    check_positive_int(max_tokens, "max_tokens", allow_zero=True)
    len_a, len_b = len(a), len(b)
    while len_a + len_b > max_tokens:
        if len_a > len_b:
            len_a -= 1
        else:
            len_b -= 1
    return a[:len_a].clone(), b[:len_b].clone()


def pair_inputs(tokens_a: Tensor, tokens_b: Tensor, max_len: int, *, cls_id: int = CLS_ID,
                sep_id: int = SEP_ID) -> tuple[Tensor, Tensor]:
    """``[CLS] A [SEP] B [SEP]`` of at most ``max_len`` tokens, and its token-type ids.

    ``tokens_a`` (La,), ``tokens_b`` (Lb,): the two segments' ids, without specials.
    The pair is first truncated (:func:`truncate_pair`) to ``max_len - 3`` tokens.
    Returns ``(input_ids, token_type_ids)``, both ``(L,)`` torch.long with
    ``L = len(a) + len(b) + 3``: type 0 for ``[CLS]``, A and the first ``[SEP]``,
    type 1 for B and the last ``[SEP]``.
    """
    if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < NUM_PAIR_SPECIALS:
        raise ValueError(f"expected max_len to be an int >= {NUM_PAIR_SPECIALS} (room for [CLS] and "
                         f"two [SEP]), got {max_len!r}")
    a, b = truncate_pair(tokens_a, tokens_b, max_len - NUM_PAIR_SPECIALS)
    cls = torch.tensor([cls_id], dtype=torch.long)
    sep = torch.tensor([sep_id], dtype=torch.long)
    input_ids = torch.cat([cls, a.long(), sep, b.long(), sep])  # (La + Lb + 3,)
    first = len(a) + 2  # [CLS] A [SEP]
    token_type_ids = torch.cat([torch.zeros(first, dtype=torch.long),
                                torch.ones(len(b) + 1, dtype=torch.long)])  # (L,)
    return input_ids, token_type_ids


class PairEmbedding(nn.Module):
    """BERT's input embedding: token + learned position + segment, then LayerNorm, dropout.

    ``forward(input_ids (B, T), token_type_ids (B, T) | None) -> (B, T, E)``; omitted
    token types are all 0 (a single segment). Sub-modules ``token``, ``position``,
    ``segment`` (``type_vocab_size`` rows, 2 in BERT) and ``norm``: the layout of
    Hugging Face's ``BertEmbeddings`` (``word_embeddings``, ``position_embeddings``,
    ``token_type_embeddings``, ``LayerNorm``). Unlike the course's
    ``TransformerEmbedding`` (sinusoidal positions), positions are learned as in BERT.
    """

    def __init__(self, vocab_size: int, d_model: int, max_len: int = 512, type_vocab_size: int = 2,
                 dropout: float = 0.1, layer_norm_eps: float = 1e-12) -> None:
        super().__init__()
        for value, name in ((vocab_size, "vocab_size"), (d_model, "d_model"), (max_len, "max_len"),
                            (type_vocab_size, "type_vocab_size")):
            check_positive_int(value, name)
        self.max_len = max_len
        self.token = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(max_len, d_model)
        self.segment = nn.Embedding(type_vocab_size, d_model)
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor | None = None) -> Tensor:
        check_ids(input_ids, vocab_size=self.token.num_embeddings, max_len=self.max_len)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        check_ids(token_type_ids, "token_type_ids", vocab_size=self.segment.num_embeddings)
        if token_type_ids.shape != input_ids.shape:
            raise ValueError(f"expected token_type_ids of shape {tuple(input_ids.shape)} (that of "
                             f"input_ids), got {tuple(token_type_ids.shape)}")
        positions = torch.arange(input_ids.size(1), device=input_ids.device)  # (T,)
        x = self.token(input_ids) + self.position(positions) + self.segment(token_type_ids)  # (B, T, E)
        return self.dropout(self.norm(x))
