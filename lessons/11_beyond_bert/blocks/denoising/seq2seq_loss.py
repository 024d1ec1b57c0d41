"""The denoising loss: teacher-forced cross-entropy over every target token.

Book: *Foundations of LLMs* ch. 1, "Loss Calculation for Encoder-Decoder Denoising
Tasks": the loss accumulates the cross-entropy of every target token of the
reconstruction, "as in standard language modeling". The decoder's input comes from
:func:`reference.denoising.shift_right.shift_right`. Peer: the ``labels=`` loss of
Hugging Face ``BartForConditionalGeneration``.
"""

from __future__ import annotations

from torch import Tensor

from .._losses import IGNORE_INDEX, check_logits_and_targets, masked_token_mean_nll, token_nll


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
