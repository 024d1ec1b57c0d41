"""Lesson 10's ``NSPHead``: the catalogued mistakes and the entry (reference
``reference.bert.NSPHead``; peers ``BertPooler`` + ``BertOnlyNSPHead``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from reference.bert import NSPHead

from .. import Entry, Requirement, mistake
from ._common import ID


class _Head(nn.Module):
    """The student's layout; the mistakes replace one step of the forward."""

    def __init__(self, d_model):
        super().__init__()
        self.pooler = nn.Linear(d_model, d_model)
        self.classifier = nn.Linear(d_model, 2)

    def cls(self, hidden):
        return hidden[:, 0]  # (B, E)

    def act(self, x):
        return torch.tanh(x)

    def forward(self, hidden):
        return self.classifier(self.act(self.pooler(self.cls(hidden))))


@mistake("no_tanh", "the pooler is a dense layer FOLLOWED by tanh: tanh(pooler(h_cls)) keeps "
         "the pooled vector in (-1, 1), as BERT's pooler does.")
class HeadNoTanh(_Head):
    def act(self, x):
        return x


ACTIVATION_HINT = ("BERT's pooler uses tanh after its dense layer (not ReLU or GELU, the "
                   "activations of the feed-forward layers).")


@mistake("wrong_activation", ACTIVATION_HINT)
class HeadRelu(_Head):
    def act(self, x):
        return torch.relu(x)


@mistake("wrong_activation", ACTIVATION_HINT)
class HeadGelu(_Head):
    def act(self, x):
        return F.gelu(x)


@mistake("pooler_skipped", "pass the [CLS] vector through the pooler (dense, then tanh) before the "
         "classifier: tanh alone leaves self.pooler unused.")
class HeadNoPooler(_Head):
    def forward(self, hidden):
        return self.classifier(torch.tanh(self.cls(hidden)))


@mistake("last_position", "[CLS] is at position 0: read hidden[:, 0], not the last position.")
class HeadLast(_Head):
    def cls(self, hidden):
        return hidden[:, -1]


@mistake("mean_pooling", "the NSP head reads the [CLS] vector, hidden[:, 0], not a mean over "
         "the positions: [CLS] is the token whose output is trained to summarise the pair.")
class HeadMean(_Head):
    def cls(self, hidden):
        return hidden.mean(dim=1)


@mistake("batch_index_not_position", "hidden is (B, T, E): hidden[0] is the first PAIR's states "
         "(T, E); the [CLS] vectors of the batch are hidden[:, 0], (B, E).")
class HeadBatch(_Head):
    def cls(self, hidden):
        return hidden[0]


@mistake("returns_probabilities", "return the raw logits (B, 2): the cross-entropy of the "
         "pre-training loss applies log-softmax itself.")
class HeadSoftmax(_Head):
    def forward(self, hidden):
        return super().forward(hidden).softmax(dim=-1)


MISTAKES = (HeadNoTanh, HeadRelu, HeadGelu, HeadNoPooler, HeadLast, HeadMean, HeadBatch, HeadSoftmax)

REQUIREMENTS = (
    Requirement("the head reads the [CLS] vector, hidden[:, 0]",
                broken_by=("last_position", "mean_pooling", "batch_index_not_position")),
    Requirement("the pooler is a dense layer followed by tanh",
                broken_by=("no_tanh", "wrong_activation", "pooler_skipped")),
    Requirement("the classifier returns 2 raw logits per pair", broken_by=("returns_probabilities",)),
)

ENTRY = Entry(f"{ID}/NSPHead", NSPHead, MISTAKES, points=2, requirements=REQUIREMENTS)
