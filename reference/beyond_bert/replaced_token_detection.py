"""Replaced-token detection (ELECTRA; Clark et al. 2020, sec. 2).

Book: *Foundations of LLMs* ch. 1, "The Generator in Replaced Token Detection" and
"Discriminative Training". A small **generator** (a masked LM) fills the masked
positions with tokens *sampled* from its predictions; a **discriminator** reads the
result and says, at every position, whether the token is the original or a replacement.
The discriminator learns from all positions, not only the 15% that were masked, which is
what makes ELECTRA sample-efficient; after pre-training the generator is thrown away.

- A sampled token that happens to equal the original counts as **original** (label 0):
  the discriminator is asked "was this token changed?", and it was not.
- The combined loss is the generator's MLM loss plus ``lambda`` times the discriminator's
  binary cross-entropy averaged over every real (non-padding) position; ``lambda = 50`` in
  the paper, since the discriminator's per-token loss is much smaller.
- Sampling is not differentiable: no gradient flows from the discriminator into the
  generator (the paper trains the generator by maximum likelihood, not adversarially).

Peers: ``ElectraForPreTraining`` (its loss is ``nn.BCEWithLogitsLoss`` over the active
positions, labels 1 = replaced) and ``ElectraForMaskedLM``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from reference._checks import check_bool_mask
from reference._losses import IGNORE_INDEX, check_logits_and_targets, masked_token_mean_nll


def discriminator_inputs(input_ids: Tensor, labels: Tensor, generator_logits: Tensor, *,
                         generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """The discriminator's inputs and labels, both ``(B, T)`` long.

    ``input_ids`` ``(B, T)``: the original tokens; ``labels`` ``(B, T)``: the masking's
    labels (-100 where nothing was masked); ``generator_logits`` ``(B, T, V)``: the
    generator's scores. At every masked position a token is sampled from
    ``softmax(generator_logits[b, t])`` (``torch.multinomial``, from ``generator``) and put
    in place of the original; elsewhere the original stays. The label is 1 where the
    discriminator's input differs from the original, 0 elsewhere (padding included: the
    loss leaves it out).
    """
    check_logits_and_targets(generator_logits, labels, IGNORE_INDEX, targets_name="labels")
    if not isinstance(input_ids, Tensor) or input_ids.shape != labels.shape:
        got = tuple(input_ids.shape) if isinstance(input_ids, Tensor) else type(input_ids).__name__
        raise ValueError(f"expected input_ids of shape (B, T) = {tuple(labels.shape)}, got {got}")
    masked = labels != IGNORE_INDEX  # (B, T)
    probs = F.softmax(generator_logits.detach()[masked].double().cpu(), dim=-1)  # (M, V)
    sampled = torch.multinomial(probs, 1, generator=generator).squeeze(1) if len(probs) else \
        torch.zeros(0, dtype=torch.long)  # (M,)
    disc_inputs = input_ids.clone()
    disc_inputs[masked] = sampled.to(input_ids.device)
    disc_labels = (disc_inputs != input_ids).long()  # (B, T) 1 = replaced
    return disc_inputs, disc_labels


def electra_loss(generator_logits: Tensor, mlm_labels: Tensor, disc_logits: Tensor, disc_labels: Tensor,
                 attention_mask: Tensor, disc_weight: float = 50.0) -> Tensor:
    """ELECTRA's combined loss, a scalar: ``L_MLM + disc_weight * L_disc``.

    ``generator_logits`` ``(B, T, V)`` and ``mlm_labels`` ``(B, T)`` (-100 where nothing was
    masked): the generator's MLM loss, the mean cross-entropy over the masked positions.
    ``disc_logits`` ``(B, T)`` float (one score per token, positive = "replaced"),
    ``disc_labels`` ``(B, T)`` (1 = replaced, 0 = original) and ``attention_mask`` ``(B, T)``
    bool (True at real tokens): the discriminator's binary cross-entropy on the logits,
    averaged over the real positions.
    """
    check_logits_and_targets(generator_logits, mlm_labels, IGNORE_INDEX, targets_name="mlm_labels")
    check_bool_mask(attention_mask, "attention_mask", shape=mlm_labels.shape, layout="(B, T)")
    if not isinstance(disc_logits, Tensor) or disc_logits.shape != mlm_labels.shape:
        got = tuple(disc_logits.shape) if isinstance(disc_logits, Tensor) else type(disc_logits).__name__
        raise ValueError(f"expected disc_logits of shape (B, T) = {tuple(mlm_labels.shape)}, got {got}")
    mlm = masked_token_mean_nll(generator_logits, mlm_labels, IGNORE_INDEX)
    per_token = F.binary_cross_entropy_with_logits(
        disc_logits, disc_labels.to(disc_logits.dtype), reduction="none")  # (B, T)
    real = attention_mask.to(disc_logits.dtype)  # (B, T)
    disc = (per_token * real).sum() / real.sum().clamp(min=1.0)
    return mlm + disc_weight * disc


__all__ = ["discriminator_inputs", "electra_loss"]
