"""Task heads on a pre-trained encoder (lesson 10): token tagging and extractive QA.

Book: *Foundations of LLMs* ch. 1, applying BERT to downstream tasks; Devlin et al.
2019, sec. 4 and fig. 4: sentence-pair classification reads ``[CLS]`` (as lesson 08),
token tagging (NER) classifies every token's final hidden state, and question
answering (SQuAD v1.1) learns a start vector and an end vector: each token's start
(end) logit is its dot product with that vector, the loss is the mean of the start and
end cross-entropies, and the answer is the span ``i <= j`` of highest start + end
score, within a maximum length, inside the paragraph (Google's ``run_squad.py``).

Peers: the loss of Hugging Face's ``BertForTokenClassification`` (labels -100 ignored)
and ``BertForQuestionAnswering`` (``qa_outputs``, ``(start_loss + end_loss) / 2``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from reference._checks import check_bool_mask, check_float_tensor, check_positive_int, check_tensor
from reference._losses import IGNORE_INDEX, check_logits_and_targets, masked_token_mean_nll

__all__ = ["QAHead", "best_span", "qa_loss", "token_tagging_loss"]


def token_tagging_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy over the tagged tokens: ``(B, T, C)`` logits, ``(B, T)`` labels.

    Positions labelled -100 (``[CLS]``, ``[SEP]``, padding, or the non-first pieces of a
    word) get no prediction and count neither in the sum nor in the mean; with no tagged
    token the loss is 0.
    """
    check_logits_and_targets(logits, labels, IGNORE_INDEX, targets_name="labels")
    return masked_token_mean_nll(logits, labels, IGNORE_INDEX)


class QAHead(nn.Module):
    """``qa_outputs``: one linear layer ``E -> 2`` read as start and end logits.

    ``forward(hidden (B, T, E)) -> (start_logits (B, T), end_logits (B, T))``: row 0 of
    the weight is the paper's start vector S, row 1 the end vector E.
    """

    def __init__(self, d_model: int) -> None:
        super().__init__()
        check_positive_int(d_model, "d_model")
        self.qa_outputs = nn.Linear(d_model, 2)

    def forward(self, hidden: Tensor) -> tuple[Tensor, Tensor]:
        check_float_tensor(hidden, "hidden", ndim=3, layout="(B, T, E)")
        logits = self.qa_outputs(hidden)  # (B, T, 2)
        return logits[..., 0], logits[..., 1]  # (B, T) each


def qa_loss(start_logits: Tensor, end_logits: Tensor, start_positions: Tensor,
            end_positions: Tensor) -> Tensor:
    """``(CE(start_logits, start_positions) + CE(end_logits, end_positions)) / 2``.

    Logits ``(B, T)`` over the positions of each row; positions ``(B,)`` long, the
    answer's first and last token. Each cross-entropy is a mean over the batch.
    """
    for x, name in ((start_logits, "start_logits"), (end_logits, "end_logits")):
        check_float_tensor(x, name, ndim=2, layout="(B, T)")
    for p, name in ((start_positions, "start_positions"), (end_positions, "end_positions")):
        check_tensor(p, name, ndim=1, layout="(B,)")
        if p.size(0) != start_logits.size(0):
            raise ValueError(f"expected {name} of shape ({start_logits.size(0)},), got {tuple(p.shape)}")
    start = F.cross_entropy(start_logits, start_positions)
    end = F.cross_entropy(end_logits, end_positions)
    return (start + end) / 2


def best_span(start_logits: Tensor, end_logits: Tensor, context_mask: Tensor,
              max_answer_len: int) -> tuple[Tensor, Tensor]:
    """The best valid answer span of each row: ``(starts (B,), ends (B,))``, torch.long.

    A span ``(i, j)`` is valid when ``i <= j``, it holds at most ``max_answer_len``
    tokens (``j - i + 1 <= max_answer_len``) and both ends lie in the paragraph
    (``context_mask`` (B, T) True). Its score is ``start_logits[i] + end_logits[j]``
    (the log of the product of the two probabilities, up to a constant); the highest
    wins. Every row needs at least one paragraph token.
    """
    check_float_tensor(start_logits, "start_logits", ndim=2, layout="(B, T)")
    check_float_tensor(end_logits, "end_logits", ndim=2, layout="(B, T)")
    check_bool_mask(context_mask, "context_mask", shape=start_logits.shape)
    check_positive_int(max_answer_len, "max_answer_len")
    if not bool(context_mask.any(dim=1).all()):
        raise ValueError("expected every row of context_mask to hold at least one paragraph token")
    t = start_logits.size(1)
    scores = start_logits[:, :, None] + end_logits[:, None, :]  # (B, T, T): [b, i, j]
    i = torch.arange(t, device=scores.device)[:, None]  # (T, 1)
    j = torch.arange(t, device=scores.device)[None, :]  # (1, T)
    valid = (j >= i) & (j - i < max_answer_len)  # (T, T)
    valid = valid & context_mask[:, :, None] & context_mask[:, None, :]  # (B, T, T)
    scores = scores.masked_fill(~valid, float("-inf"))
    flat = scores.flatten(1).argmax(dim=1)  # (B,) index into T * T
    return flat // t, flat % t
