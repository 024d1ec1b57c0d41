"""Prefix language modelling: bidirectional over a prefix, causal after it.

Book: *Foundations of LLMs* ch. 1, "Prefix Language Modeling (PrefixLM)"; the prefix-LM
mask of UniLM (Dong et al. 2019) and of T5's decoder-only variant (Raffel et al. 2020,
sec. 3.2.1). One stack of self-attention reads a sequence in two parts:

- the **prefix** (positions ``0 .. P-1``), the "input", is read bidirectionally: every
  prefix token attends to every prefix token, as in an encoder;
- the **continuation** (positions ``P ..``), the "output", is generated: a token attends
  to the whole prefix and to the continuation up to itself, as in a decoder;
- nothing attends to padding; the loss is next-token prediction on the continuation only,
  since the prefix is given, not generated.

So a prefix LM is an encoder-decoder folded into one decoder-style stack. Peer: the
``bidirectional_mask`` / ``token_type_ids`` prefix masks of Hugging Face's prefix-LM models
(e.g. PaliGemma builds the same mask with its image and prompt tokens as the prefix).
"""

from __future__ import annotations

import torch
from torch import Tensor

from reference._losses import IGNORE_INDEX, check_logits_and_targets, masked_token_mean_nll
from reference.masks import causal_mask, padding_mask
from reference.tokenizer import PAD_ID


def _check_prefix_lengths(prefix_lengths: object, batch: int) -> Tensor:
    if not isinstance(prefix_lengths, Tensor) or prefix_lengths.shape != (batch,) \
            or prefix_lengths.is_floating_point():
        got = (f"shape {tuple(prefix_lengths.shape)}, dtype {prefix_lengths.dtype}"
               if isinstance(prefix_lengths, Tensor) else type(prefix_lengths).__name__)
        raise ValueError(f"expected prefix_lengths to be an integer tensor of shape (B,) = ({batch},), got {got}")
    return prefix_lengths


def prefix_lm_mask(input_ids: Tensor, prefix_lengths: Tensor, pad_id: int = PAD_ID) -> Tensor:
    """The prefix-LM self-attention mask ``(B, 1, T, T)`` bool (True = may attend).

    Query ``i`` may attend key ``j`` of row ``b`` when key ``j`` is a real token
    (``input_ids[b, j] != pad_id``) and either ``j <= i`` (causal) or ``j`` is in the prefix
    (``j < prefix_lengths[b]``). Built from lesson 02's ``causal_mask`` and ``padding_mask``.
    """
    real = padding_mask(input_ids, pad_id)  # (B, T)
    lengths = _check_prefix_lengths(prefix_lengths, input_ids.shape[0]).to(input_ids.device)
    t = input_ids.shape[1]
    causal = causal_mask(t, device=input_ids.device)  # (T, T)
    in_prefix = torch.arange(t, device=input_ids.device)[None, :] < lengths[:, None]  # (B, T) keys
    allowed = causal[None, :, :] | in_prefix[:, None, :]  # (1, T, T) | (B, 1, T) -> (B, T, T)
    return (allowed & real[:, None, :])[:, None, :, :]  # (B, 1, T, T)


def prefix_lm_loss(logits: Tensor, input_ids: Tensor, prefix_lengths: Tensor, pad_id: int = PAD_ID) -> Tensor:
    """Next-token cross-entropy on the continuation only, a scalar.

    ``logits`` ``(B, T, V)``: ``logits[:, t]`` scores the token at ``t + 1``. A target
    position ``j`` (1..T-1) counts when it is in the continuation (``j >= prefix_lengths[b]``)
    and is a real token; the loss is the mean over those targets of the whole batch
    (0 when there is none).
    """
    check_logits_and_targets(logits, input_ids, targets_name="input_ids")
    lengths = _check_prefix_lengths(prefix_lengths, input_ids.shape[0]).to(input_ids.device)
    targets = input_ids[:, 1:]  # (B, T-1): position j = 1..T-1
    positions = torch.arange(1, input_ids.shape[1], device=input_ids.device)  # (T-1,)
    keep = (positions[None, :] >= lengths[:, None]) & (targets != pad_id)  # (B, T-1)
    return masked_token_mean_nll(logits[:, :-1], targets.masked_fill(~keep, IGNORE_INDEX))


__all__ = ["prefix_lm_loss", "prefix_lm_mask"]
