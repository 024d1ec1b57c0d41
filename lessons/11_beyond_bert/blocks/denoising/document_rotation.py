"""BART's document rotation: the document starts at a random token, no token removed.

Book: *Foundations of LLMs* ch. 1, "Input Corruption Methods for Denoising Autoencoder
Training". Document rotation starts the document at a uniformly random token, so the
model learns where a document begins. Peer: fairseq ``DenoisingDataset.add_rolling_buffer``
(BART).

Leading ``[CLS]``/``<s>`` and trailing ``[SEP]``/``</s>`` stay in place; only the body moves.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ._common import check_generator, check_tokens, split_boundary


def document_rotation(tokens: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
    """Rotate a 1-D long document so that it starts at a uniformly random body token: ``(T,)``.

    "a b c d e" -> "c d e a b" when the drawn start is 2 (one ``torch.randint(n)``;
    0 leaves it as it was). ``tokens`` is not modified.
    """
    check_tokens(tokens)
    check_generator(generator)
    head, body, tail = split_boundary(tokens.cpu())
    if body.numel() == 0:
        return tokens.clone()
    start = int(torch.randint(body.numel(), (1,), generator=generator))
    return torch.cat([head, body[start:], body[:start], tail]).to(tokens.device)
