"""Encoder-decoder Transformer (lessons 04 and 06).

Book: *Foundations of LLMs* ch. 1 (the encoder-decoder architecture and
denoising autoencoders such as BART and T5) and ch. 2: the encoder reads the
source x, the decoder models Pr(y_i | y_<i, x) with causal self-attention over
the target prefix and cross-attention to the encoder output; Vaswani et al.
2017, sec. 3. Peers: ``torch.nn.Transformer`` (plus embeddings and output
projection) and Hugging Face ``BartForConditionalGeneration``.
"""

from __future__ import annotations

from torch import Tensor, nn

from .._checks import check_bool_mask, check_float_tensor, check_ids
from ..masks import causal_padding_mask, expand_padding_mask
from ._parts import check_config, key_mask, make_decoder, make_embedding, make_encoder, make_lm_head
from .config import TransformerConfig


class EncoderDecoder(nn.Module):
    """Sub-modules: ``embedding`` (one ``TransformerEmbedding`` for source and target,
    as BART and T5 share their vocabulary), ``encoder``, ``decoder``, ``lm_head``
    (``d_model -> vocab_size``; tied to the token embedding when ``config.tie_embeddings``).

    Masks: the encoder ignores source padding; decoder self-attention is causal
    and ignores target padding; cross-attention ignores source padding. Padding
    masks ``(B, S)`` / ``(B, T)`` are bool, True = real token, derived from
    ``config.pad_id`` when not given.
    """

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = check_config(config)
        self.embedding = make_embedding(config)
        self.encoder = make_encoder(config, config.num_encoder_layers)
        self.decoder = make_decoder(config)
        self.lm_head = make_lm_head(config, self.embedding)

    def encode(self, src_ids: Tensor, src_mask: Tensor | None = None) -> Tensor:
        """Source ids ``(B, S)`` -> memory ``(B, S, E)``."""
        keys = key_mask(src_ids, src_mask, self.config, "src_ids", "src_mask")  # (B, S)
        return self.encoder(self.embedding(src_ids), expand_padding_mask(keys))  # (B, S, E)

    def decode(self, tgt_ids: Tensor, memory: Tensor, src_mask: Tensor | None = None,
               tgt_mask: Tensor | None = None) -> Tensor:
        """Target ids ``(B, T)`` and memory ``(B, S, E)`` -> logits ``(B, T, V)``.

        Position i of the logits predicts token i+1 from ``tgt_ids[:, :i+1]``.
        ``src_mask`` ``(B, S)`` marks real source tokens (None: attend to all of
        memory); ``tgt_mask`` ``(B, T)`` real target tokens (None: ``tgt_ids != pad_id``).
        """
        self_keys = key_mask(tgt_ids, tgt_mask, self.config, "tgt_ids", "tgt_mask")  # (B, T)
        memory_mask = self._memory_mask(tgt_ids, memory, src_mask)
        x = self.embedding(tgt_ids)  # (B, T, E)
        x = self.decoder(x, memory, causal_padding_mask(self_keys), memory_mask)  # (B, T, E)
        return self.lm_head(x)  # (B, T, V)

    def forward(self, src_ids: Tensor, tgt_ids: Tensor, src_mask: Tensor | None = None,
                tgt_mask: Tensor | None = None) -> Tensor:
        """Teacher forcing: logits ``(B, T, V)`` for every target position at once."""
        src_mask = key_mask(src_ids, src_mask, self.config, "src_ids", "src_mask")  # (B, S)
        check_ids(tgt_ids, "tgt_ids")
        if tgt_ids.size(0) != src_ids.size(0):
            raise ValueError(f"expected src_ids and tgt_ids with the same batch size, got "
                             f"{src_ids.size(0)} and {tgt_ids.size(0)}")
        memory = self.encode(src_ids, src_mask)  # (B, S, E)
        return self.decode(tgt_ids, memory, src_mask, tgt_mask)  # (B, T, V)

    def _memory_mask(self, tgt_ids: Tensor, memory: Tensor, src_mask: Tensor | None) -> Tensor | None:
        check_float_tensor(memory, "memory", ndim=3, layout="(B, S, E)")
        if memory.size(0) != tgt_ids.size(0) or memory.size(-1) != self.config.d_model:
            raise ValueError(f"expected memory of shape (B={tgt_ids.size(0)}, S, "
                             f"E={self.config.d_model}), got {tuple(memory.shape)}")
        if src_mask is None:
            return None
        check_bool_mask(src_mask, "src_mask", shape=memory.shape[:2], layout="(B, S)")
        return expand_padding_mask(src_mask)  # (B, 1, 1, S)
