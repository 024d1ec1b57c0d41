"""Teacher forcing for encoder-decoder denoising: ``shift_right`` and the sequence loss.

Book: *Foundations of LLMs* ch. 1, "Loss Calculation for Encoder-Decoder Denoising
Tasks": the decoder reconstructs the original sequence token by token from ``<s>``,
reading the true previous tokens (teacher forcing), and the loss accumulates the
cross-entropy of every target token, "as in standard language modeling".
Peers: Hugging Face ``shift_tokens_right`` (BART) / ``T5PreTrainedModel._shift_right``,
and the ``labels=`` loss of ``BartForConditionalGeneration``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .._losses import IGNORE_INDEX, check_logits_and_targets, masked_token_mean_nll, token_nll


def _check_id(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected {name} to be an int id >= 0, got {value!r}")
    return value


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
    _check_id("start_id", start_id)
    _check_id("pad_id", pad_id)
    bad = (labels != IGNORE_INDEX) & (labels < 0)
    if bad.any():
        raise ValueError(f"expected labels to be ids >= 0 or {IGNORE_INDEX}, got {labels[bad][0].item()}")
    shifted = torch.empty_like(labels)  # (B, T)
    shifted[:, 0] = start_id
    shifted[:, 1:] = labels[:, :-1]
    return shifted.masked_fill(shifted == IGNORE_INDEX, pad_id)


def seq2seq_loss(logits: Tensor, labels: Tensor, reduction: str = "mean") -> Tensor:
    """Teacher-forced cross-entropy of the decoder's ``logits`` ``(B, T, V)`` against ``labels`` ``(B, T)``.

    ``"mean"``: the per-token mean over positions with ``labels != -100`` (0, with a
    gradient, when there are none); ``"sum"``: the total over those tokens, the book's
    sequence-level loss accumulated over all tokens (sum over the batch too).
    Peer: ``F.cross_entropy(logits.transpose(1, 2), labels, reduction=...)``.
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"expected reduction to be 'mean' or 'sum', got {reduction!r}")
    check_logits_and_targets(logits, labels, IGNORE_INDEX, targets_name="labels")
    if reduction == "sum":
        return token_nll(logits, labels, IGNORE_INDEX).sum()
    return masked_token_mean_nll(logits, labels, IGNORE_INDEX)
