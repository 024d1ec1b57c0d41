"""Next-sentence prediction (lesson 10): pairs, the pooler and NSP head, the BERT loss.

Book: *Foundations of LLMs* ch. 1, self-supervised classification tasks for encoders;
Devlin et al. 2019, sec. 3.1 "Task #2: Next Sentence Prediction": for each
pre-training example, 50% of the time B is the sentence that follows A (``IsNext``)
and 50% of the time a random sentence (``NotNext``), which Google's
``create_pretraining_data.py`` draws from a *different* document. The head reads the
final hidden state of ``[CLS]`` through the pooler (a dense layer and tanh) and
predicts two classes; the pre-training loss is the MLM loss plus the NSP loss.

Labels follow Hugging Face: 0 = IsNext (B continues A), 1 = NotNext (B is random).
Peers: ``BertPooler`` + ``BertOnlyNSPHead`` (``seq_relationship``) and the loss of
``BertForPreTraining`` (``masked_lm_loss + next_sentence_loss``). Deliberate
difference from Google's script: a segment here is one sentence (the script packs
several sentences into each segment to fill the length).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from reference._checks import check_float_tensor, check_positive_int, check_tensor
from reference.mlm import mlm_loss

__all__ = ["IS_NEXT", "NOT_NEXT", "NSPHead", "make_nsp_pairs", "nsp_loss", "pretraining_loss"]

IS_NEXT, NOT_NEXT = 0, 1


def _check_documents(documents: object) -> list:
    if not isinstance(documents, Sequence) or len(documents) < 2:
        got = len(documents) if isinstance(documents, Sequence) else type(documents).__name__
        raise ValueError(f"expected a list of at least 2 documents, got {got}")
    for d, doc in enumerate(documents):
        if not isinstance(doc, Sequence) or len(doc) == 0:
            raise ValueError(f"expected document {d} to be a non-empty list of sentences, got {doc!r}")
    return list(documents)


def make_nsp_pairs(documents: Sequence[Sequence[Sequence[int]]], *,
                   generator: torch.Generator | None = None) -> list[tuple[list[int], list[int], int]]:
    """Next-sentence-prediction pairs ``(A, B, label)`` from documents of sentences.

    ``documents``: at least two non-empty documents, each a list of sentences (lists of
    token ids). For every document, in order, and every sentence ``i`` but its last,
    A is sentence ``i``; with probability 1/2 B is sentence ``i + 1`` and the label
    ``IS_NEXT`` (0), otherwise B is a random sentence of another document (a document
    drawn uniformly among the others, then one of its sentences uniformly) and the label
    ``NOT_NEXT`` (1). Every draw uses ``generator``.
    """
    docs = _check_documents(documents)
    pairs = []
    for d, doc in enumerate(docs):
        for i in range(len(doc) - 1):
            if float(torch.rand((), generator=generator)) < 0.5:
                pairs.append((list(doc[i]), list(doc[i + 1]), IS_NEXT))
                continue
            other = int(torch.randint(len(docs) - 1, (), generator=generator))
            other += int(other >= d)  # skip document d itself
            j = int(torch.randint(len(docs[other]), (), generator=generator))
            pairs.append((list(doc[i]), list(docs[other][j]), NOT_NEXT))
    return pairs


class NSPHead(nn.Module):
    """The pooler and the next-sentence classifier: ``(B, T, E) -> logits (B, 2)``.

    ``pooler`` (``E -> E``, then tanh) reads the hidden state of ``[CLS]`` at position 0;
    ``classifier`` (``E -> 2``) gives the IsNext / NotNext logits. Peers: Hugging Face's
    ``BertPooler`` (``dense``) and ``BertOnlyNSPHead`` (``seq_relationship``).
    """

    def __init__(self, d_model: int) -> None:
        super().__init__()
        check_positive_int(d_model, "d_model")
        self.pooler = nn.Linear(d_model, d_model)
        self.classifier = nn.Linear(d_model, 2)

    def pool(self, hidden: Tensor) -> Tensor:
        """The pooled ``[CLS]`` vector, ``tanh(W h_0 + b)``: ``(B, E)``."""
        check_float_tensor(hidden, "hidden", ndim=3, layout="(B, T, E)")
        return torch.tanh(self.pooler(hidden[:, 0]))  # (B, E)

    def forward(self, hidden: Tensor) -> Tensor:
        return self.classifier(self.pool(hidden))  # (B, 2)


def nsp_loss(nsp_logits: Tensor, nsp_labels: Tensor) -> Tensor:
    """Mean cross-entropy of the ``(B, 2)`` NSP logits against ``(B,)`` labels (0 = IsNext)."""
    check_float_tensor(nsp_logits, "nsp_logits", ndim=2, layout="(B, 2)")
    check_tensor(nsp_labels, "nsp_labels", ndim=1, layout="(B,)")
    if nsp_logits.size(1) != 2 or nsp_labels.size(0) != nsp_logits.size(0):
        raise ValueError(f"expected nsp_logits (B, 2) and nsp_labels (B,), got "
                         f"{tuple(nsp_logits.shape)} and {tuple(nsp_labels.shape)}")
    return F.cross_entropy(nsp_logits, nsp_labels)


def pretraining_loss(mlm_logits: Tensor, mlm_labels: Tensor, nsp_logits: Tensor,
                     nsp_labels: Tensor) -> Tensor:
    """BERT's pre-training loss: the MLM loss plus the NSP loss, a scalar.

    ``mlm_logits`` (B, T, V) and ``mlm_labels`` (B, T) with -100 where nothing is
    predicted (``reference.mlm.mlm_loss``, a mean over the selected positions);
    ``nsp_logits`` (B, 2) and ``nsp_labels`` (B,) (:func:`nsp_loss`, a mean over the
    pairs). The two means are added, not averaged, as in ``BertForPreTraining``.
    """
    return mlm_loss(mlm_logits, mlm_labels) + nsp_loss(nsp_logits, nsp_labels)
