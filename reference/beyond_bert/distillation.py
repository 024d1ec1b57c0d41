"""Knowledge distillation (Hinton et al. 2015; Sanh et al. 2019, DistilBERT).

Book: the notes on BERT at run time: a large BERT is slow and costly to serve;
distillation trains a small **student** (DistilBERT: half the layers, 40% fewer
parameters, 60% faster, keeping 97% of BERT's GLUE score) to imitate a large **teacher**.

The student learns from the teacher's whole output distribution, not only from the
correct label: the probabilities the teacher gives to the *wrong* answers ("dark
knowledge": *puppy* is closer to *dog* than to *car*) carry information a one-hot label
lacks. A temperature ``T > 1`` softens both distributions, ``softmax(z / T)``, so those
small probabilities matter. The soft loss is the KL divergence from the teacher's softened
distribution to the student's, averaged over the examples; its gradient scales as
``1 / T^2``, so it is multiplied by ``T^2`` to keep its weight against the hard loss
independent of the temperature. The hard loss is the ordinary cross-entropy with the true
labels (temperature 1).

Peer: ``F.kl_div(F.log_softmax(s / T, -1), F.softmax(t / T, -1), reduction="batchmean") * T**2``
(DistilBERT's ``ce_loss_fct`` is ``nn.KLDivLoss(reduction="batchmean")`` times ``T**2``).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from reference._checks import check_float_tensor


def distillation_loss(student_logits: Tensor, teacher_logits: Tensor, labels: Tensor,
                      temperature: float = 2.0, alpha: float = 0.5) -> Tensor:
    """``alpha * T^2 * KL(p_teacher^T || p_student^T) + (1 - alpha) * CE(student, labels)``, a scalar.

    ``student_logits``, ``teacher_logits``: ``(N, V)`` float; ``labels``: ``(N,)`` long.
    ``p^T = softmax(logits / T)`` over the last axis; the KL divergence is summed over the
    classes and averaged over the ``N`` examples ("batchmean"); the cross-entropy uses the
    student's logits at temperature 1, averaged over the examples. The teacher only
    gives targets: no gradient reaches it.
    """
    check_float_tensor(student_logits, "student_logits", ndim=2, layout="(N, V)")
    if not isinstance(teacher_logits, Tensor) or teacher_logits.shape != student_logits.shape:
        got = tuple(teacher_logits.shape) if isinstance(teacher_logits, Tensor) else type(teacher_logits).__name__
        raise ValueError(f"expected teacher_logits of shape (N, V) = {tuple(student_logits.shape)}, got {got}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature <= 0:
        raise ValueError(f"expected temperature to be a positive number, got {temperature!r}")
    t = float(temperature)
    log_student = F.log_softmax(student_logits / t, dim=-1)  # (N, V)
    teacher = F.softmax(teacher_logits.detach() / t, dim=-1)  # (N, V)
    soft = F.kl_div(log_student, teacher, reduction="batchmean") * t**2
    hard = F.cross_entropy(student_logits, labels)
    return alpha * soft + (1.0 - alpha) * hard


__all__ = ["distillation_loss"]
