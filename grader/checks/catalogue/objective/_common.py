"""Lesson 07's catalogue: the lesson id and the pieces its loss mistakes share (trusted;
never shipped)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

ID = "07_objective"

SUM_OVER_VOCAB = ("picking the target's entry with a one-hot vector means SUMMING over the "
                  "vocabulary (only one entry is non-zero); a mean divides log p by V. Or use "
                  ".gather(-1, targets.unsqueeze(-1)).")


def _picked(log_probs, targets, ignore_index=-100):
    """(B, T) entries of ``log_probs`` (B, T, V) at the targets, 0 where ignored."""
    keep = targets != ignore_index
    picked = log_probs.gather(-1, targets.masked_fill(~keep, 0).unsqueeze(-1)).squeeze(-1)
    return torch.where(keep, picked, torch.zeros_like(picked))


def _token_log_probs(logits, targets, ignore_index=-100):
    return _picked(F.log_softmax(logits, dim=-1), targets, ignore_index)


def _one_hot_mean(logits, targets, ignore_index=-100):
    """The one-hot way with a mean over the vocabulary where a sum is needed: log p / V."""
    keep = targets != ignore_index
    one_hot = F.one_hot(targets.masked_fill(~keep, 0), logits.shape[-1]).to(logits.dtype)
    return (one_hot * F.log_softmax(logits, dim=-1)).mean(-1) * keep  # (B, T)
