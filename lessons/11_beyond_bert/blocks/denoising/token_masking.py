"""BART's token masking: random body tokens replaced by ``[MASK]``, the length kept.

Book: *Foundations of LLMs* ch. 1, "Input Corruption Methods for Denoising Autoencoder
Training" (BART): token masking replaces random tokens with ``[MASK]``, as BERT does
but without its 80/10/10 refinements. Peer: the token-level noise of fairseq's
``DenoisingDataset`` (BART).

Exactly ``ceil(ratio * n)`` of the ``n`` body tokens are masked (fairseq's count),
chosen uniformly without replacement by one ``torch.randperm(n, generator=...)``.
The leading ``[CLS]``/``<s>`` and trailing ``[SEP]``/``</s>`` are never corrupted.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ._common import check_generator, check_id, check_ratio, check_tokens, chosen_positions, split_boundary


def token_masking(tokens: Tensor, *, mask_token_id: int, mask_ratio: float = 0.15,
                  generator: torch.Generator | None = None) -> Tensor:
    """Replace ``ceil(mask_ratio * n)`` random body tokens with ``mask_token_id``: ``(T,)``, same length.

    "[CLS] the puppies are frolicking outside the house ." ->
    "[CLS] the puppies are [MASK] outside [MASK] house ." (book ch. 1's example).
    ``tokens`` is a 1-D long tensor without padding; it is not modified.
    """
    check_tokens(tokens)
    check_id("mask_token_id", mask_token_id)
    ratio = check_ratio("mask_ratio", mask_ratio)
    check_generator(generator)
    head, body, tail = split_boundary(tokens.cpu())
    if body.numel() == 0:
        return tokens.clone()
    chosen = chosen_positions(body.numel(), ratio, generator)  # (n,)
    body = body.masked_fill(chosen, mask_token_id)
    return torch.cat([head, body, tail]).to(tokens.device)
