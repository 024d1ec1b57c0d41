"""Attention masks: padding and causal (lessons 02 and 04).

Book: *Foundations of LLMs* ch. 1 (the Transformer encoder ignores padding) and
ch. 2 (a decoder predicts token i from tokens < i only, so self-attention is
masked to the left: "causal" or "look-ahead" masking); Vaswani et al. 2017,
sec. 3.2.3. Peers: the Hugging Face ``attention_mask`` (1 = real token) and the
bool ``attn_mask`` of ``torch.nn.functional.scaled_dot_product_attention``.

Convention used everywhere in ``reference``: **a mask is a bool tensor and True
means "may attend"** (or "real token" for a ``(B, T)`` padding mask). Masks
combine with ``&`` and broadcast against the attention scores ``(B, H, T, S)``.
``torch.nn.MultiheadAttention`` and ``nn.Transformer*`` use the opposite
polarity (True = blocked): pass ``~mask`` to them.

How the models build their masks::

    pad = padding_mask(ids, pad_id)         # (B, S) True = real token
    encoder_mask = expand_padding_mask(pad)  # (B, 1, 1, S): every query sees real keys
    decoder_mask = causal_padding_mask(pad)  # (B, 1, T, T): keys that are real AND not in the future

``decoder_self_mask(tgt_ids, pad_id)`` is the last line straight from the target
ids (lesson 04's exercise).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ._checks import check_bool_mask, check_ids, check_positive_int, check_tensor
from .tokenizer import PAD_ID


def causal_mask(size: int, *, device: torch.device | str | None = None) -> Tensor:
    """``(T, T)`` bool mask, True where query i may attend key j, i.e. j <= i.

    The lower triangle including the diagonal: a token sees itself and its past.
    """
    check_positive_int(size, "size")
    ones = torch.ones(size, size, dtype=torch.bool, device=device)  # (T, T)
    return torch.tril(ones)  # (T, T)


def padding_mask(input_ids: Tensor, pad_id: int = PAD_ID) -> Tensor:
    """``(B, T)`` bool mask, True at real tokens and False at ``pad_id``."""
    check_ids(input_ids, "input_ids")
    if isinstance(pad_id, bool) or not isinstance(pad_id, int):
        raise ValueError(f"expected pad_id to be an int, got {pad_id!r}")
    return input_ids != pad_id  # (B, T)


def expand_padding_mask(key_mask: Tensor) -> Tensor:
    """Turn a ``(B, S)`` key padding mask into ``(B, 1, 1, S)`` attention-mask form.

    The two inserted axes are the heads and the queries: every head and every
    query position ignores the same padded keys.
    """
    check_tensor(key_mask, "key_mask", ndim=2, layout="(B, S)")
    check_bool_mask(key_mask, "key_mask")
    return key_mask[:, None, None, :]  # (B, 1, 1, S)


def causal_padding_mask(key_mask: Tensor) -> Tensor:
    """Decoder self-attention mask ``(B, 1, T, T)``: causal AND the key is a real token.

    ``key_mask`` is the ``(B, T)`` padding mask of the decoder input itself.
    """
    check_tensor(key_mask, "key_mask", ndim=2, layout="(B, T)")
    causal = causal_mask(key_mask.size(1), device=key_mask.device)  # (T, T)
    return expand_padding_mask(key_mask) & causal  # (B, 1, 1, T) & (T, T) -> (B, 1, T, T)


def decoder_self_mask(tgt_ids: Tensor, pad_id: int = PAD_ID) -> Tensor:
    """Decoder self-attention mask ``(B, 1, T, T)`` from the target ids ``(B, T)``.

    True where query i may attend key j: j <= i (causal) AND ``tgt_ids[:, j] != pad_id``
    (a real token). The 1 is the head axis, so the mask broadcasts over the scores
    ``(B, H, T, T)``. Vaswani et al. 2017, sec. 3.2.3; peer: the negation of
    ``nn.Transformer.generate_square_subsequent_mask(T)`` combined with the negation of
    ``tgt_key_padding_mask`` (torch's masks say True = blocked).
    """
    keys = padding_mask(tgt_ids, pad_id)  # (B, T)
    return causal_padding_mask(keys)  # (B, 1, T, T)


def combine_masks(*masks: Tensor | None) -> Tensor | None:
    """Logical AND of the given bool masks (broadcasting); ``None`` entries are skipped.

    Returns ``None`` when every entry is ``None`` (no masking at all).
    """
    result: Tensor | None = None
    for i, mask in enumerate(masks):
        if mask is None:
            continue
        check_bool_mask(mask, f"masks[{i}]")
        result = mask if result is None else result & mask
    return result
