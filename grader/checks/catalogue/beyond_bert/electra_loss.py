"""Lesson 11's ``electra_loss`` entry: the reference (``reference.beyond_bert``) and the
catalogued mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reference.beyond_bert import electra_loss

from .. import CLASS_AXIS_HINT, Entry, Requirement, mistake
from ._common import ID


def _electra(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0, *, where="real",
             flip=False, reduce="mean", mlm="masked", weight="disc", twice=False):
    """A configurable ELECTRA loss: each mistake below turns one switch."""
    nll = F.cross_entropy(gl.transpose(1, 2), mlm_labels, reduction="none")  # (B, T), 0 at -100
    masked = mlm_labels != -100
    gen = nll.sum() / masked.sum() if mlm == "masked" else nll.sum() / nll.numel()
    target = (1 - disc_labels) if flip else disc_labels
    scores = torch.sigmoid(dl) if twice else dl
    per = F.binary_cross_entropy_with_logits(scores, target.to(dl.dtype), reduction="none")
    keep = {"real": attention_mask, "all": torch.ones_like(attention_mask), "masked": masked}[where]
    keep = keep.to(dl.dtype)
    disc = (per * keep).sum() / keep.sum() if reduce == "mean" else (per * keep).sum()
    if weight == "disc":
        return gen + disc_weight * disc
    if weight == "none":
        return gen + disc
    return disc_weight * gen + disc


@mistake("disc_loss_over_padding", "the discriminator's loss is averaged over the REAL tokens "
         "(attention_mask True); padding is no token, original or replaced.")
def electra_over_padding(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    return _electra(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight, where="all")


@mistake("disc_loss_on_masked_only", "the discriminator judges EVERY real token, not only the "
         "masked ones: that is ELECTRA's point, a signal from all positions. Average its loss "
         "over attention_mask, not over the MLM labels.")
def electra_masked_only(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    return _electra(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight, where="masked")


@mistake("missing_disc_weight", "the discriminator's loss is multiplied by disc_weight (lambda, "
         "50 in the paper) before it is added to the generator's MLM loss.")
def electra_no_weight(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    return _electra(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight, weight="none")


@mistake("weight_on_generator", "lambda weighs the DISCRIMINATOR's loss: L = L_MLM + disc_weight "
         "* L_disc; the discriminator's per-token loss is small, so it is the one scaled up.")
def electra_weight_on_gen(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    return _electra(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight, weight="gen")


@mistake("disc_labels_flipped", "a disc_logit is the score of \"replaced\": the target is the "
         "label itself (1 = replaced), not 1 - label.")
def electra_flipped(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    return _electra(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight, flip=True)


@mistake("disc_sum_not_mean", "average the discriminator's per-token losses over the real tokens; "
         "a sum grows with the batch and the length.")
def electra_disc_sum(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    return _electra(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight, reduce="sum")


@mistake("sigmoid_applied_twice", "F.binary_cross_entropy_with_logits takes the raw logits and "
         "applies the sigmoid itself; passing torch.sigmoid(logits) squashes them twice.")
def electra_double_sigmoid(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    return _electra(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight, twice=True)


@mistake("mlm_mean_over_all_positions", "the generator's MLM loss is the mean over the MASKED "
         "positions only (labels != -100), as in lesson 05.")
def electra_mlm_all(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    return _electra(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight, mlm="all")


@mistake("class_axis_not_last", CLASS_AXIS_HINT)
def electra_class_axis(gl, mlm_labels, dl, disc_labels, attention_mask, disc_weight=50.0):
    mlm = F.cross_entropy(gl, mlm_labels)
    real = attention_mask
    return mlm + disc_weight * F.binary_cross_entropy_with_logits(dl[real], disc_labels[real].to(dl.dtype))


REQUIREMENTS = (
    Requirement("the generator's loss is the mean cross-entropy over the masked positions",
                broken_by=("mlm_mean_over_all_positions", "class_axis_not_last")),
    Requirement("the discriminator's loss is the binary cross-entropy of its logits against the "
                "labels (1 = replaced), averaged over every real token",
                broken_by=("disc_loss_over_padding", "disc_loss_on_masked_only", "disc_labels_flipped",
                           "disc_sum_not_mean", "sigmoid_applied_twice")),
    Requirement("the loss is L_MLM + disc_weight * L_disc",
                broken_by=("missing_disc_weight", "weight_on_generator")),
)

ENTRY = Entry(f"{ID}/electra_loss", electra_loss, (
    electra_over_padding, electra_masked_only, electra_no_weight, electra_weight_on_gen, electra_flipped,
    electra_disc_sum, electra_double_sigmoid, electra_mlm_all, electra_class_axis), points=2,
    requirements=REQUIREMENTS)
