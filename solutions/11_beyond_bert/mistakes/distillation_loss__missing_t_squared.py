def distillation_loss(student_logits, teacher_logits, labels, temperature=2.0, alpha=0.5):
    """alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) (batchmean) + (1 - alpha) * CE."""
    T = temperature
    # The mistake: the soft loss is not multiplied by T ** 2.
    soft = F.kl_div(F.log_softmax(student_logits / T, dim=-1), F.softmax(teacher_logits.detach() / T, dim=-1),
                    reduction="batchmean")
    hard = F.cross_entropy(student_logits, labels)
    return alpha * soft + (1 - alpha) * hard
