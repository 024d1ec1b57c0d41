"""Lesson 11's ``distillation_loss`` entry: the reference (``reference.beyond_bert``) and the
catalogued mistakes (trusted; never shipped)."""

from __future__ import annotations

import torch.nn.functional as F

from reference.beyond_bert import distillation_loss

from .. import Entry, Requirement, mistake
from ._common import ID

_T2 = ("multiply the soft loss by T ** 2: softening by T shrinks its gradients by 1 / T ** 2, and "
       "the factor keeps its weight against the hard loss the same whatever the temperature.")


def _distil(s, t, labels, temperature=2.0, alpha=0.5, *, scale=2, soft_s=True, soft_t=True,
            reduction="batchmean", reverse=False, hard_temp=False, swap=False, log_input=True):
    """A configurable distillation loss: each mistake below turns one switch."""
    ts, tt = (temperature if soft_s else 1.0), (temperature if soft_t else 1.0)
    if reverse:
        soft = F.kl_div(F.log_softmax(t / tt, -1), F.softmax(s / ts, -1), reduction=reduction)
    else:
        student = F.log_softmax(s / ts, -1) if log_input else F.softmax(s / ts, -1)
        if reduction == "mean":  # what reduction="mean" computes, without torch's warning
            soft = F.kl_div(student, F.softmax(t / tt, -1), reduction="sum") / s.numel()
        else:
            soft = F.kl_div(student, F.softmax(t / tt, -1), reduction=reduction)
    soft = soft * temperature**scale
    hard = F.cross_entropy(s / temperature if hard_temp else s, labels)
    return (1 - alpha) * soft + alpha * hard if swap else alpha * soft + (1 - alpha) * hard


@mistake("missing_t_squared", _T2)
def distil_no_t2(s, t, labels, temperature=2.0, alpha=0.5):
    return _distil(s, t, labels, temperature, alpha, scale=0)


@mistake("missing_t_squared", _T2)
def distil_t_once(s, t, labels, temperature=2.0, alpha=0.5):
    return _distil(s, t, labels, temperature, alpha, scale=1)


@mistake("kl_reversed", "F.kl_div(input, target) computes KL(target || input) and wants the "
         "STUDENT's log-probabilities as input and the TEACHER's probabilities as target: the "
         "student is pulled toward the teacher.")
def distil_reversed(s, t, labels, temperature=2.0, alpha=0.5):
    return _distil(s, t, labels, temperature, alpha, reverse=True)


@mistake("teacher_not_softened", "soften BOTH distributions with the same temperature: "
         "softmax(teacher_logits / T) as well as log_softmax(student_logits / T).")
def distil_teacher_sharp(s, t, labels, temperature=2.0, alpha=0.5):
    return _distil(s, t, labels, temperature, alpha, soft_t=False)


@mistake("student_not_softened", "soften BOTH distributions with the same temperature: the "
         "student's log_softmax(student_logits / T) too.")
def distil_student_sharp(s, t, labels, temperature=2.0, alpha=0.5):
    return _distil(s, t, labels, temperature, alpha, soft_s=False)


@mistake("kl_mean_over_classes", "reduction=\"mean\" divides by N * V, every class of every "
         "example; the KL divergence sums over the classes and averages over the N examples: "
         "reduction=\"batchmean\".")
def distil_mean(s, t, labels, temperature=2.0, alpha=0.5):
    return _distil(s, t, labels, temperature, alpha, reduction="mean")


@mistake("kl_summed_over_batch", "average the KL divergence over the examples "
         "(reduction=\"batchmean\"); a sum grows with the batch.")
def distil_sum(s, t, labels, temperature=2.0, alpha=0.5):
    return _distil(s, t, labels, temperature, alpha, reduction="sum")


@mistake("student_probabilities_to_kl_div", "F.kl_div expects LOG-probabilities as its first "
         "argument: pass F.log_softmax(student_logits / T, dim=-1), not the softmax.")
def distil_probs(s, t, labels, temperature=2.0, alpha=0.5):
    return _distil(s, t, labels, temperature, alpha, log_input=False)


@mistake("hard_loss_softened", "the hard loss is the ordinary cross-entropy with the true labels, "
         "at temperature 1: F.cross_entropy(student_logits, labels).")
def distil_hard_soft(s, t, labels, temperature=2.0, alpha=0.5):
    return _distil(s, t, labels, temperature, alpha, hard_temp=True)


@mistake("alpha_swapped", "alpha weighs the SOFT (teacher) loss and 1 - alpha the hard-label loss.")
def distil_swapped(s, t, labels, temperature=2.0, alpha=0.5):
    return _distil(s, t, labels, temperature, alpha, swap=True)


REQUIREMENTS = (
    Requirement("the soft loss is KL(teacher || student) between both distributions softened by T, "
                "summed over the classes and averaged over the examples",
                broken_by=("kl_reversed", "teacher_not_softened", "student_not_softened",
                           "kl_mean_over_classes", "kl_summed_over_batch", "student_probabilities_to_kl_div")),
    Requirement("the soft loss is multiplied by T ** 2", broken_by=("missing_t_squared",)),
    Requirement("the hard loss is the cross-entropy with the labels at temperature 1",
                broken_by=("hard_loss_softened",)),
    Requirement("the loss is alpha * soft + (1 - alpha) * hard", broken_by=("alpha_swapped",)),
)

ENTRY = Entry(f"{ID}/distillation_loss", distillation_loss, (
    distil_no_t2, distil_t_once, distil_reversed, distil_teacher_sharp, distil_student_sharp, distil_mean,
    distil_sum, distil_probs, distil_hard_soft, distil_swapped), points=2, requirements=REQUIREMENTS)
