"""Token-level cross-entropy helpers shared by the MLM and sequence-to-sequence losses.

They live apart from ``reference.objectives`` (lesson 07's subject: the chain
rule and maximum likelihood) so that a lesson shipping ``reference.mlm`` or
``reference.denoising`` as provided building blocks does not ship lesson 07's
solutions with them. Peer: ``F.cross_entropy(..., ignore_index=-100)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

#: Label value meaning "no loss here" (the ``F.cross_entropy`` default).
IGNORE_INDEX = -100


def check_logits_and_targets(logits: object, targets: object, ignore_index: int = IGNORE_INDEX, *,
                             targets_name: str = "targets") -> None:
    """Raise ``ValueError`` unless ``logits`` is a float ``(B, T, V)`` tensor and ``targets`` a
    long ``(B, T)`` tensor whose entries are ids in ``[0, V)`` or ``ignore_index``."""
    if not isinstance(logits, Tensor) or not logits.is_floating_point():
        kind = f"dtype {logits.dtype}" if isinstance(logits, Tensor) else type(logits).__name__
        raise ValueError(f"expected logits to be a floating-point tensor, got {kind}")
    if logits.dim() != 3:
        raise ValueError(f"expected logits of shape (B, T, V), got shape {tuple(logits.shape)}")
    if not isinstance(targets, Tensor) or targets.dtype != torch.long:
        kind = f"dtype {targets.dtype}" if isinstance(targets, Tensor) else type(targets).__name__
        raise ValueError(f"expected {targets_name} to be a torch.long tensor, got {kind}")
    if targets.shape != logits.shape[:2]:
        raise ValueError(f"expected {targets_name} of shape (B, T) = {tuple(logits.shape[:2])} "
                         f"to match logits (B, T, V) = {tuple(logits.shape)}, got shape {tuple(targets.shape)}")
    if 0 in logits.shape:
        raise ValueError(f"expected non-empty logits (B, T, V >= 1), got shape {tuple(logits.shape)}")
    vocab_size = logits.shape[2]
    bad = (targets != ignore_index) & ((targets < 0) | (targets >= vocab_size))
    if bad.any():
        raise ValueError(f"expected {targets_name} to be ids in [0, {vocab_size}) or {ignore_index}, "
                         f"got {targets[bad][0].item()}")


def token_nll(logits: Tensor, targets: Tensor, ignore_index: int = IGNORE_INDEX) -> Tensor:
    """Per-token negative log-likelihood ``(B, T)``, exactly 0 where ``targets == ignore_index``."""
    return F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=ignore_index,
                           reduction="none")  # (B, T)


def masked_token_mean_nll(logits: Tensor, targets: Tensor, ignore_index: int = IGNORE_INDEX) -> Tensor:
    """Mean NLL over the non-ignored positions; ``0`` (with a gradient of zeros) when there are none.

    ``F.cross_entropy`` returns NaN when every target is ignored; a loss of 0 keeps a
    training loop going (a batch with nothing to predict teaches nothing).
    """
    count = (targets != ignore_index).sum()
    if count == 0:
        return logits.sum() * 0.0  # 0, still attached to the graph
    return token_nll(logits, targets, ignore_index).sum() / count
