"""Pieces the reference models share: building stacks from a config, mask checks.

Private module (no book section of its own): each model file names its own.
"""

from __future__ import annotations

from torch import Tensor, nn

from .._checks import check_bool_mask, check_ids
from ..embeddings import TransformerEmbedding
from ..layers import Decoder, Encoder
from ..masks import padding_mask
from .config import TransformerConfig


def check_config(config: object) -> TransformerConfig:
    if not isinstance(config, TransformerConfig):
        raise ValueError(f"expected a TransformerConfig, got {type(config).__name__}")
    return config


def make_embedding(config: TransformerConfig) -> TransformerEmbedding:
    return TransformerEmbedding(config.vocab_size, config.d_model, config.max_len,
                                config.positional, config.dropout, config.pad_id)


def make_encoder(config: TransformerConfig, num_layers: int) -> Encoder:
    return Encoder(num_layers, config.d_model, config.num_heads, config.d_ff, config.dropout,
                   config.activation, config.norm_first, config.layer_norm_eps)


def make_decoder(config: TransformerConfig) -> Decoder:
    return Decoder(config.num_decoder_layers, config.d_model, config.num_heads, config.d_ff,
                   config.dropout, config.activation, config.norm_first, config.layer_norm_eps)


def make_lm_head(config: TransformerConfig, embedding: TransformerEmbedding | None) -> nn.Linear:
    """``d_model -> vocab_size`` projection; shares the token matrix when ``tie_embeddings``."""
    head = nn.Linear(config.d_model, config.vocab_size)
    if config.tie_embeddings:
        if embedding is None:
            raise ValueError("expected an embedding to tie the output projection to "
                             "(config.tie_embeddings=True), got None")
        head.weight = embedding.token.weight  # one (V, E) matrix for input and output
    nn.init.zeros_(head.bias)
    return head


def key_mask(ids: Tensor, mask: Tensor | None, config: TransformerConfig,
             ids_name: str = "input_ids", mask_name: str = "attention_mask") -> Tensor:
    """Check ``ids`` and return the ``(B, T)`` padding mask: ``mask`` if given, else ids != pad_id."""
    check_ids(ids, ids_name, vocab_size=config.vocab_size, max_len=config.max_len)
    if mask is None:
        return padding_mask(ids, config.pad_id)  # (B, T)
    check_bool_mask(mask, mask_name, shape=ids.shape, layout="(B, T)")
    return mask
