"""Decoder-only causal language model, GPT style (lesson 07).

Book: *Foundations of LLMs* ch. 2, generative models: a decoder-only
Transformer trained by maximum likelihood to predict each token from the ones
before it, Pr(x_i | x_<i). Its blocks have no cross-attention, so they are
encoder layers run with a causal mask. Peers: Hugging Face ``GPT2LMHeadModel``
(pre-norm there; here ``config.norm_first`` chooses), or
``torch.nn.TransformerEncoder`` with ``is_causal`` / a causal ``mask``.
"""

from __future__ import annotations

from torch import Tensor, nn

from ..masks import causal_padding_mask
from ._parts import check_config, key_mask, make_embedding, make_encoder, make_lm_head
from .config import TransformerConfig


class CausalLM(nn.Module):
    """``forward(input_ids, attention_mask=None) -> logits (B, T, V)``; logits[:, i] predict token i+1.

    Sub-modules ``embedding``, ``decoder`` (an ``Encoder`` stack of
    ``config.num_decoder_layers`` layers, used with a causal mask), ``lm_head``
    (tied to the token embedding when ``config.tie_embeddings``). Padding keys
    (``attention_mask`` ``(B, T)`` bool, default ``input_ids != pad_id``) are ignored too.
    """

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = check_config(config)
        self.embedding = make_embedding(config)
        self.decoder = make_encoder(config, config.num_decoder_layers)
        self.lm_head = make_lm_head(config, self.embedding)

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        keys = key_mask(input_ids, attention_mask, self.config)  # (B, T)
        x = self.embedding(input_ids)  # (B, T, E)
        x = self.decoder(x, causal_padding_mask(keys))  # (B, T, E), mask (B, 1, T, T)
        return self.lm_head(x)  # (B, T, V)
