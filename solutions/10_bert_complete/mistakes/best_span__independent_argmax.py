def best_span(start_logits, end_logits, context_mask, max_answer_len):
    """The best valid span (i <= j, at most max_answer_len tokens, in the paragraph) of each row."""
    # The mistake: the best start and the best end, each on its own.
    return start_logits.argmax(dim=1), end_logits.argmax(dim=1)
