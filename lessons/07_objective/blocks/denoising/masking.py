"""BART's token masking and token deletion.

Book: *Foundations of LLMs* ch. 1, "Input Corruption Methods for Denoising Autoencoder
Training" (BART): token masking replaces random tokens with ``[MASK]``; token deletion
removes random tokens, so the model must also find *where* something is missing.
Peer: the token-level noise of fairseq's ``DenoisingDataset`` (BART).

Both corrupt exactly ``ceil(ratio * n)`` of the ``n`` body tokens (fairseq's count),
chosen uniformly without replacement by one ``torch.randperm(n, generator=...)``.
The leading ``[CLS]``/``<s>`` and trailing ``[SEP]``/``</s>`` are never corrupted.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ._common import check_generator, check_id, check_ratio, check_tokens, corrupt_count, split_boundary


def _chosen_positions(n: int, ratio: float, generator: torch.Generator | None) -> Tensor:
    """A bool ``(n,)`` mask with ``ceil(ratio * n)`` True entries at uniformly random places."""
    chosen = torch.zeros(n, dtype=torch.bool)
    chosen[torch.randperm(n, generator=generator)[: corrupt_count(n, ratio)]] = True
    return chosen


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
    chosen = _chosen_positions(body.numel(), ratio, generator)  # (n,)
    body = body.masked_fill(chosen, mask_token_id)
    return torch.cat([head, body, tail]).to(tokens.device)


def token_deletion(tokens: Tensor, *, deletion_ratio: float = 0.15,
                   generator: torch.Generator | None = None) -> Tensor:
    """Delete ``ceil(deletion_ratio * n)`` random body tokens: ``(T - deleted,)``.

    "the puppies are frolicking outside the house ." -> "the puppies frolicking outside the house ."
    ``tokens`` is a 1-D long tensor without padding; it is not modified.
    """
    check_tokens(tokens)
    ratio = check_ratio("deletion_ratio", deletion_ratio)
    check_generator(generator)
    head, body, tail = split_boundary(tokens.cpu())
    if body.numel() == 0:
        return tokens.clone()
    chosen = _chosen_positions(body.numel(), ratio, generator)  # (n,)
    return torch.cat([head, body[~chosen], tail]).to(tokens.device)
