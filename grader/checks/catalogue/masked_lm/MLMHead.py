"""Lesson 05's ``MLMHead``: the reference head with the student's signature, the
catalogued mistakes and the entry (reference ``reference.models.MaskedLMHead``, peer
Hugging Face ``BertLMPredictionHead``).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from reference.models import MaskedLMHead, TransformerConfig

from .. import Entry, Requirement, mistake
from ._common import ID


class MLMHeadReference(MaskedLMHead):
    """The reference head with the student's signature (untied projection, GELU)."""

    def __init__(self, d_model: int, vocab_size: int) -> None:
        config = TransformerConfig(vocab_size=vocab_size, d_model=d_model, num_heads=1,
                                   activation="gelu", tie_embeddings=False)
        super().__init__(config, embedding=None)  # type: ignore[arg-type]


class _Head(nn.Module):
    def __init__(self, d_model: int, vocab_size: int) -> None:
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.norm = nn.LayerNorm(d_model)
        self.proj = nn.Linear(d_model, vocab_size)


@mistake("relu_instead_of_gelu", "BERT's head uses GELU (F.gelu / nn.GELU()), not ReLU.")
class HeadRelu(_Head):
    def forward(self, h):
        return self.proj(self.norm(F.relu(self.dense(h))))


@mistake("gelu_tanh_approximation", "this course's spec asks for the exact GELU, F.gelu(x) "
         "(nn.GELU() with its default approximate='none'). The tanh approximation is what "
         "original BERT's code used and is a fine choice in itself, but it differs slightly from "
         "the exact GELU that the checks compare against.")
class HeadGeluTanh(_Head):
    def forward(self, h):
        return self.proj(self.norm(F.gelu(self.dense(h), approximate="tanh")))


@mistake("norm_before_activation", "the order is dense -> GELU -> LayerNorm -> projection: "
         "normalise after the activation.")
class HeadNormFirst(_Head):
    def forward(self, h):
        return self.proj(F.gelu(self.norm(self.dense(h))))


@mistake("activation_missing", "apply GELU between dense and LayerNorm: without it dense and "
         "proj collapse into one linear map.")
class HeadNoActivation(_Head):
    def forward(self, h):
        return self.proj(self.norm(self.dense(h)))


@mistake("norm_not_applied", "apply the LayerNorm (self.norm) after the activation, before "
         "the projection.")
class HeadNoNorm(_Head):
    def forward(self, h):
        return self.proj(F.gelu(self.dense(h)))


@mistake("dense_skipped", "start with the dense layer d_model -> d_model (self.dense), then "
         "GELU and LayerNorm.")
class HeadNoDense(_Head):
    def forward(self, h):
        return self.proj(self.norm(F.gelu(h)))


@mistake("softmax_applied", "the head returns raw scores (logits) over the vocabulary: "
         "mlm_loss's cross-entropy applies the log-softmax itself, so a softmax here is applied "
         "twice.")
class HeadSoftmax(_Head):
    def forward(self, h):
        return self.proj(self.norm(F.gelu(self.dense(h)))).softmax(-1)


REQUIREMENTS = (
    Requirement("the dense layer d_model -> d_model comes first",
                broken_by=("dense_skipped",)),
    Requirement("then the exact GELU (the course's spec; F.gelu with approximate='none')",
                broken_by=("relu_instead_of_gelu", "gelu_tanh_approximation", "activation_missing")),
    Requirement("then the LayerNorm, after the activation",
                broken_by=("norm_before_activation", "norm_not_applied")),
    Requirement("then the projection to the vocabulary: forward returns (B, T, vocab_size) raw "
                "scores", broken_by=("softmax_applied",)),
)


ENTRY = Entry(f"{ID}/MLMHead", MLMHeadReference, (
    HeadRelu, HeadGeluTanh, HeadNormFirst, HeadNoActivation, HeadNoNorm, HeadNoDense,
    HeadSoftmax), points=2, requirements=REQUIREMENTS)
