def seq2seq_loss(logits, labels, reduction="mean"):
    '''Cross-entropy of logits (B, T, V) against labels (B, T), -100 ignored: "sum" or per-token "mean".'''
    nll = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")  # (B, T), 0 at -100
    if reduction == "sum":
        return nll.sum()
    per_sentence = nll.sum(dim=1) / (labels != -100).sum(dim=1)  # the mean of each sentence
    return per_sentence.mean()
