"""The maximum-likelihood training objective for sequence models.

Book: *Foundations of LLMs* ch. 2 ("Standard Optimization Objective for Transformer
Language Models", "Maximum Likelihood Estimation for Sequential Data"): a model is
trained to maximise the log-likelihood of its dataset, the sum over sequences of

    log p(y) = sum_t log p(y_t | y_<t)          (the chain rule)

so the loss is the negative log-likelihood (NLL). Peers: ``F.cross_entropy`` with
``ignore_index=-100`` (a per-token NLL), and the ``labels=`` loss of Hugging Face's
``*ForCausalLM`` models (which shift the labels inside the model).

Conventions (``docs/reference-conventions.md``): logits are ``(B, T, V)``, batch first;
target positions holding ``-100`` contribute nothing (the ``F.cross_entropy`` default).
``logits[b, t]`` is the model's distribution for ``targets[b, t]``: callers align
them (``causal_lm_loss`` does the one-step shift itself).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ._losses import IGNORE_INDEX, check_logits_and_targets, masked_token_mean_nll

_REDUCTIONS = ("sum", "mean", "token_mean", "length_normalized")


def token_log_probs(logits: Tensor, targets: Tensor, ignore_index: int = IGNORE_INDEX) -> Tensor:
    """``log p(targets[b, t])`` under ``softmax(logits[b, t])``: ``(B, T)``, 0 where ignored.

    The building block of every loss here. Ignored positions give exactly 0 and
    no gradient (``torch.where``, not a multiplication, so a -inf logit there
    cannot turn into NaN).
    """
    check_logits_and_targets(logits, targets, ignore_index)
    keep = targets != ignore_index  # (B, T)
    safe = targets.masked_fill(~keep, 0)  # any valid id; its value is discarded below
    log_probs = F.log_softmax(logits, dim=-1).gather(-1, safe.unsqueeze(-1)).squeeze(-1)  # (B, T)
    return torch.where(keep, log_probs, torch.zeros((), dtype=log_probs.dtype, device=log_probs.device))


def sequence_log_prob(logits: Tensor, targets: Tensor, ignore_index: int = IGNORE_INDEX) -> Tensor:
    """``log p(y) = sum_t log p(y_t | y_<t)`` for each sequence: ``(B,)``.

    ``logits``: ``(B, T, V)``, ``logits[b, t]`` scoring ``targets[b, t]`` given the
    tokens before it (already aligned); ``targets``: ``(B, T)`` long, ``ignore_index``
    (e.g. padding) contributes nothing. Book ch. 2, the chain rule. Peer:
    ``-F.cross_entropy(logits.transpose(1, 2), targets, reduction="none").sum(-1)``.
    """
    return token_log_probs(logits, targets, ignore_index).sum(dim=-1)


def causal_lm_loss(logits: Tensor, input_ids: Tensor, pad_id: int | None = 0) -> Tensor:
    """Next-token prediction loss: the per-token mean NLL of ``input_ids[:, t+1]`` under ``logits[:, t]``.

    ``logits``: ``(B, T, V)`` from a causal model fed ``input_ids`` ``(B, T)``; the last
    position predicts nothing and the first token is never predicted. Targets equal
    to ``pad_id`` are ignored (right padding; ``None`` ignores nothing). A batch with
    no target at all (``T == 1`` or all padding) gives 0 with a gradient. Book ch. 2;
    peer: the ``labels=input_ids`` loss of Hugging Face ``GPT2LMHeadModel``.
    """
    if isinstance(pad_id, bool) or not (pad_id is None or isinstance(pad_id, int)):
        raise ValueError(f"expected pad_id to be an int or None, got {pad_id!r}")
    check_logits_and_targets(logits, input_ids, targets_name="input_ids")
    if (input_ids < 0).any():
        raise ValueError(f"expected input_ids to be ids in [0, {logits.shape[2]}), got {input_ids.min().item()}")
    if input_ids.shape[1] == 1:
        return logits.sum() * 0.0  # nothing to predict
    targets = input_ids[:, 1:]  # (B, T-1): the token after each position
    if pad_id is not None:
        targets = targets.masked_fill(targets == pad_id, IGNORE_INDEX)
    return masked_token_mean_nll(logits[:, :-1], targets)  # logits (B, T-1, V)


def dataset_nll(logits: Tensor, targets: Tensor, reduction: str = "sum",
                ignore_index: int = IGNORE_INDEX) -> Tensor:
    """Negative log-likelihood of a dataset (a batch) of sequences: a scalar.

    With ``nll_i = -sequence_log_prob(...)[i]`` and ``n_i`` the non-ignored tokens of sequence i:

    - ``"sum"``: ``sum_i nll_i``, the book's maximum-likelihood objective (negated);
    - ``"mean"``: ``sum_i nll_i / B``, the same objective per sequence;
    - ``"token_mean"``: ``sum_i nll_i / sum_i n_i``, per token (what ``F.cross_entropy``
      reports and perplexity exponentiates; 0 when no token is counted);
    - ``"length_normalized"``: ``mean_i (nll_i / n_i)`` over sequences with ``n_i > 0``,
      every sequence weighing the same (0 when there are none).

    Why long sequences dominate a sum: ``log p(y)`` is a sum of one term per token, so a
    100-token sequence contributes about ten times the NLL (and the gradient) of a
    10-token one. "sum", "mean" and "token_mean" differ only by a constant factor
    within a batch, so they all weigh every *token* equally and long sequences
    dominate each; only "length_normalized" weighs every *sequence* equally.
    Book ch. 2, maximum likelihood over a dataset.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"expected reduction to be one of {list(_REDUCTIONS)}, got {reduction!r}")
    per_token = -token_log_probs(logits, targets, ignore_index)  # (B, T)
    per_sequence = per_token.sum(dim=-1)  # (B,)
    counts = (targets != ignore_index).sum(dim=-1)  # (B,)
    if reduction == "sum":
        return per_sequence.sum()
    if reduction == "mean":
        return per_sequence.mean()
    if reduction == "token_mean":
        return per_sequence.sum() / counts.sum() if counts.sum() > 0 else logits.sum() * 0.0
    nonempty = counts > 0
    if not nonempty.any():
        return logits.sum() * 0.0
    return (per_sequence[nonempty] / counts[nonempty]).mean()


__all__ = [
    "IGNORE_INDEX", "causal_lm_loss", "check_logits_and_targets", "dataset_nll",
    "masked_token_mean_nll", "sequence_log_prob", "token_log_probs",
]
