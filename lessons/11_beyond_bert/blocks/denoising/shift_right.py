"""Teacher forcing for encoder-decoder denoising: ``shift_right`` builds what the decoder reads.

Book: *Foundations of LLMs* ch. 1, "Loss Calculation for Encoder-Decoder Denoising
Tasks": the decoder reconstructs the original sequence token by token from ``<s>``,
reading the true previous tokens (teacher forcing), so that every position is trained
in one forward pass. Peers: Hugging Face ``shift_tokens_right`` (BART) and
``T5PreTrainedModel._shift_right``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .._losses import IGNORE_INDEX
from ._common import check_id


def shift_right(labels: Tensor, start_id: int, pad_id: int) -> Tensor:
    """The decoder's input for teacher forcing: ``start_id`` first, then ``labels`` shifted right by one.

    ``labels``: ``(B, T)`` long, ``-100`` where there is no target (padding). Returns a
    new ``(B, T)`` tensor ``[start_id, labels[:, 0], ..., labels[:, T-2]]`` with every
    -100 replaced by ``pad_id`` (an embedding cannot look up -100). Position ``t`` of the
    decoder then reads ``y_<t`` and is trained to output ``labels[:, t]``.
    ``labels`` is not modified.
    """
    if not isinstance(labels, Tensor) or labels.dtype != torch.long:
        kind = f"dtype {labels.dtype}" if isinstance(labels, Tensor) else type(labels).__name__
        raise ValueError(f"expected labels to be a torch.long tensor, got {kind}")
    if labels.dim() != 2 or labels.numel() == 0:
        raise ValueError(f"expected labels of non-empty shape (B, T), got shape {tuple(labels.shape)}")
    check_id("start_id", start_id)
    check_id("pad_id", pad_id)
    bad = (labels != IGNORE_INDEX) & (labels < 0)
    if bad.any():
        raise ValueError(f"expected labels to be ids >= 0 or {IGNORE_INDEX}, got {labels[bad][0].item()}")
    shifted = torch.empty_like(labels)  # (B, T)
    shifted[:, 0] = start_id
    shifted[:, 1:] = labels[:, :-1]
    return shifted.masked_fill(shifted == IGNORE_INDEX, pad_id)
