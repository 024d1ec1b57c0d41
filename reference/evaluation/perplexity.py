"""Perplexity from the negative log-likelihood (lesson 09).

Book: *Foundations of LLMs* ch. 2, evaluating language models: perplexity is the
exponential of the mean per-token negative log-likelihood over a whole evaluation set,

    PPL = exp( -(1/N) * sum over the N real target tokens of log Pr(y_t | y_<t) ),

the number of equally likely choices the model is, on average, hesitating between: a
model that gives every one of V tokens probability 1/V has perplexity V, and a perfect
model has perplexity 1. Padding (targets equal to ``ignore_index``) counts neither in the
sum nor in N. It is a corpus-level quantity: the mean runs over all tokens of all
sequences at once, not over per-sequence perplexities. Peer: ``torch.exp`` of
``F.cross_entropy(..., ignore_index=-100)`` (Hugging Face's perplexity recipe).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from reference._checks import check_float_tensor, check_tensor
from reference._losses import IGNORE_INDEX


def perplexity(logits: Tensor, targets: Tensor, ignore_index: int = IGNORE_INDEX) -> Tensor:
    """exp(mean NLL per real target token): ``(B, T, V)``, ``(B, T)`` -> 0-d tensor.

    ``logits[b, t]`` scores ``targets[b, t]`` (already aligned); targets equal to
    ``ignore_index`` are left out of the sum and of the count. With no real target at
    all the mean is taken as 0, so the perplexity is 1.
    """
    check_float_tensor(logits, "logits", ndim=3, layout="(B, T, V)")
    check_tensor(targets, "targets", ndim=2, layout="(B, T)")
    if targets.shape != logits.shape[:2]:
        raise ValueError(f"expected targets of shape {tuple(logits.shape[:2])} (logits' B, T), "
                         f"got {tuple(targets.shape)}")
    keep = targets != ignore_index  # (B, T)
    log_probs = F.log_softmax(logits, dim=-1)  # (B, T, V)
    picked = log_probs.gather(-1, targets.masked_fill(~keep, 0).unsqueeze(-1)).squeeze(-1)  # (B, T)
    nll = -(picked * keep).sum()  # 0-d: summed over the real tokens only
    return torch.exp(nll / keep.sum().clamp(min=1))  # 0-d
