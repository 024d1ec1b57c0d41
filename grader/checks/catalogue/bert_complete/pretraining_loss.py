"""Lesson 10's ``pretraining_loss``: the catalogued mistakes and the entry (reference
``reference.bert.pretraining_loss``: MLM loss + NSP loss, as ``BertForPreTraining``)."""

from __future__ import annotations

import torch.nn.functional as F

from reference.bert import pretraining_loss
from reference.mlm import mlm_loss

from .. import CLASS_AXIS_HINT, Entry, Requirement, mistake
from ._common import ID


@mistake("averaged_not_summed", "BERT's pre-training loss is the SUM of the two means, MLM loss "
         "+ NSP loss; halving it changes the weight of both against the learning rate.")
def loss_averaged(mlm_logits, mlm_labels, nsp_logits, nsp_labels):
    return (mlm_loss(mlm_logits, mlm_labels) + F.cross_entropy(nsp_logits, nsp_labels)) / 2


@mistake("nsp_left_out", "the loss has two terms: the masked-LM loss AND the next-sentence "
         "loss, the cross-entropy of nsp_logits (B, 2) against nsp_labels (B,).")
def loss_mlm_only(mlm_logits, mlm_labels, nsp_logits, nsp_labels):
    return mlm_loss(mlm_logits, mlm_labels)


@mistake("mlm_left_out", "the loss has two terms: the next-sentence loss AND the masked-LM loss "
         "over the selected positions (mlm_loss).")
def loss_nsp_only(mlm_logits, mlm_labels, nsp_logits, nsp_labels):
    return F.cross_entropy(nsp_logits, nsp_labels)


@mistake("mlm_mean_over_all_positions", "the MLM term is a mean over the SELECTED positions "
         "(labels != -100) only; dividing by B * T dilutes it with the positions that carry no "
         "label.")
def loss_mlm_all(mlm_logits, mlm_labels, nsp_logits, nsp_labels):
    v = mlm_logits.shape[-1]
    mlm = F.cross_entropy(mlm_logits.reshape(-1, v), mlm_labels.reshape(-1), reduction="sum") / mlm_labels.numel()
    return mlm + F.cross_entropy(nsp_logits, nsp_labels)


@mistake("nsp_summed", "each term is a MEAN: the NSP cross-entropy averages over the pairs of "
         "the batch, as the MLM loss averages over the selected tokens.")
def loss_nsp_sum(mlm_logits, mlm_labels, nsp_logits, nsp_labels):
    return mlm_loss(mlm_logits, mlm_labels) + F.cross_entropy(nsp_logits, nsp_labels, reduction="sum")


@mistake("nsp_labels_inverted", "nsp_labels already say which class is right (0 IsNext, 1 "
         "NotNext): use them as they are, as the targets of the 2-way cross-entropy.")
def loss_nsp_inverted(mlm_logits, mlm_labels, nsp_logits, nsp_labels):
    return mlm_loss(mlm_logits, mlm_labels) + F.cross_entropy(nsp_logits, 1 - nsp_labels)


@mistake("class_axis_not_last", CLASS_AXIS_HINT)
def loss_class_axis(mlm_logits, mlm_labels, nsp_logits, nsp_labels):
    return F.cross_entropy(mlm_logits, mlm_labels) + F.cross_entropy(nsp_logits, nsp_labels)


MISTAKES = (loss_averaged, loss_mlm_only, loss_nsp_only, loss_mlm_all, loss_nsp_sum, loss_nsp_inverted,
            loss_class_axis)

REQUIREMENTS = (
    Requirement("the loss is MLM loss + NSP loss (a sum of the two means)",
                broken_by=("averaged_not_summed", "nsp_left_out", "mlm_left_out")),
    Requirement("the MLM term is the mean over the positions whose label is not -100",
                broken_by=("mlm_mean_over_all_positions", "class_axis_not_last")),
    Requirement("the NSP term is the mean cross-entropy of (B, 2) logits against the labels",
                broken_by=("nsp_summed", "nsp_labels_inverted")),
)

ENTRY = Entry(f"{ID}/pretraining_loss", pretraining_loss, MISTAKES, points=1, requirements=REQUIREMENTS)
