"""Masked language model, BERT style (lesson 05).

Book: *Foundations of LLMs* ch. 1, masked language modelling: a Transformer
encoder reads a sentence in which some tokens were replaced by ``[MASK]`` (or a
random token, or kept) and predicts the originals at those positions, using
context on both sides. Peer: Hugging Face ``BertForMaskedLM`` (its head
``BertLMPredictionHead``: dense, activation, LayerNorm, projection to the
vocabulary tied to the input embeddings), without token types or a pooler.
"""

from __future__ import annotations

from torch import Tensor, nn

from ..embeddings import TransformerEmbedding
from ..layers import ACTIVATIONS
from ..masks import expand_padding_mask
from ._parts import check_config, key_mask, make_embedding, make_encoder, make_lm_head
from .config import TransformerConfig


class EncoderBody(nn.Module):
    """Embedding + encoder stack shared by :class:`MaskedLM` and ``SequenceClassifier``.

    Sub-modules ``embedding`` (``TransformerEmbedding``) and ``encoder``
    (``Encoder`` of ``config.num_encoder_layers``); the same names in both models,
    so an encoder pre-trained inside one loads into the other.
    """

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = check_config(config)
        self.embedding = make_embedding(config)
        self.encoder = make_encoder(config, config.num_encoder_layers)

    def encode(self, input_ids: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        """Hidden states ``(B, T, E)`` of ``input_ids`` ``(B, T)``.

        ``attention_mask`` ``(B, T)`` bool, True = real token; by default
        ``input_ids != config.pad_id``. Padded keys are ignored by every query.
        """
        keys = key_mask(input_ids, attention_mask, self.config)  # (B, T)
        x = self.embedding(input_ids)  # (B, T, E)
        return self.encoder(x, expand_padding_mask(keys))  # (B, T, E), mask (B, 1, 1, T)


class MaskedLMHead(nn.Module):
    """BERT's prediction head: ``proj(norm(act(dense(h))))``, ``(B, T, E) -> (B, T, V)``.

    ``proj`` shares its weight with ``embedding``'s token matrix when
    ``config.tie_embeddings``; an untied head (``tie_embeddings=False``) needs no
    ``embedding``, e.g. ``MaskedLMHead(config)`` on its own for lesson 05's exercise.
    """

    def __init__(self, config: TransformerConfig, embedding: TransformerEmbedding | None = None) -> None:
        super().__init__()
        self.activation = config.activation
        self.dense = nn.Linear(config.d_model, config.d_model)
        self.norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.proj = make_lm_head(config, embedding)

    def forward(self, hidden: Tensor) -> Tensor:
        return self.proj(self.norm(ACTIVATIONS[self.activation](self.dense(hidden))))


class MaskedLM(EncoderBody):
    """Encoder with an MLM head: ``forward(input_ids, attention_mask=None) -> logits (B, T, V)``.

    Sub-modules ``embedding``, ``encoder``, ``mlm_head`` (``dense``, ``norm``,
    ``proj``; ``proj.weight`` is the token embedding when ``config.tie_embeddings``).
    Logits are returned at every position; the loss picks the masked ones.
    """

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__(config)
        self.mlm_head = MaskedLMHead(config, self.embedding)

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        return self.mlm_head(self.encode(input_ids, attention_mask))  # (B, T, V)
