"""BART's token deletion: random body tokens removed, so the model must find *where*.

Book: *Foundations of LLMs* ch. 1, "Input Corruption Methods for Denoising Autoencoder
Training" (BART): token deletion removes random tokens; unlike token masking the input
does not show where something is missing. Peer: the token-level noise of fairseq's
``DenoisingDataset`` (BART).

Exactly ``ceil(ratio * n)`` of the ``n`` body tokens are deleted (fairseq's count),
chosen by the same draw as :func:`reference.denoising.token_masking.token_masking`
(one ``torch.randperm(n, generator=...)``). The leading ``[CLS]``/``<s>`` and trailing
``[SEP]``/``</s>`` are never corrupted.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ._common import check_generator, check_ratio, check_tokens, chosen_positions, split_boundary


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
    chosen = chosen_positions(body.numel(), ratio, generator)  # (n,)
    return torch.cat([head, body[~chosen], tail]).to(tokens.device)
