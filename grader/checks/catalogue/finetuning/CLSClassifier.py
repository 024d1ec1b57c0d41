"""Lesson 08's ``CLSClassifier``: the reference with the student's constructor, the
catalogued mistakes and the entry (reference ``reference.models.SequenceClassifier``,
peer Hugging Face ``BertForSequenceClassification`` without its pooler).
"""

from __future__ import annotations

import torch
from torch import nn

from reference.embeddings import TransformerEmbedding
from reference.layers import Encoder
from reference.masks import expand_padding_mask, padding_mask
from reference.models import SequenceClassifier, TransformerConfig
from reference.tokenizer import PAD_ID

from .. import Entry, Requirement, mistake
from ._common import ID


class CLSClassifier(SequenceClassifier):
    """The reference classifier with the student's constructor: the lesson's encoder is
    BERT's (post-norm, GELU, sinusoidal positions, [PAD] = 0)."""

    def __init__(self, vocab_size, num_labels, d_model=64, num_heads=4, d_ff=128, num_layers=2,
                 max_len=64, dropout=0.1):
        super().__init__(TransformerConfig(
            vocab_size=vocab_size, d_model=d_model, num_heads=num_heads, d_ff=d_ff,
            num_encoder_layers=num_layers, max_len=max_len, dropout=dropout, activation="gelu",
            norm_first=False, positional="sinusoidal", pad_id=PAD_ID, num_labels=num_labels))

    def forward(self, input_ids):
        return super().forward(input_ids)


class _Cls(nn.Module):
    """The student's layout, with a forward pieced together from parts that the
    mistakes below replace one at a time."""

    def __init__(self, vocab_size, num_labels, d_model=64, num_heads=4, d_ff=128, num_layers=2,
                 max_len=64, dropout=0.1):
        super().__init__()
        self.embedding = TransformerEmbedding(vocab_size, d_model, max_len, dropout=dropout)
        self.encoder = Encoder(num_layers, d_model, num_heads, d_ff, dropout, activation="gelu")
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(d_model, num_labels)

    def mask(self, input_ids):
        return expand_padding_mask(padding_mask(input_ids, PAD_ID))  # (B, 1, 1, T)

    def pool(self, hidden, input_ids):
        return hidden[:, 0]  # (B, E)

    def forward(self, input_ids):
        hidden = self.encoder(self.embedding(input_ids), self.mask(input_ids))  # (B, T, E)
        return self.classifier(self.dropout(self.pool(hidden, input_ids)))


def _real(input_ids, like):
    return (input_ids != PAD_ID).unsqueeze(-1).to(like.dtype)  # (B, T, 1)


@mistake("mean_pooling_over_padding", "the sentence vector is the hidden state at position 0, "
         "[CLS] (hidden[:, 0]); a mean over all T positions also averages the [PAD] positions, "
         "so the same sentence gets another vector when the batch is padded differently.")
class ClsMeanWithPadding(_Cls):
    def pool(self, hidden, input_ids):
        return hidden.mean(dim=1)


@mistake("mean_pooling", "this exercise classifies the [CLS] vector, hidden[:, 0]; a mean over "
         "the real tokens is the pooled alternative you write next (masked_mean_pool).")
class ClsMeanPooling(_Cls):
    def pool(self, hidden, input_ids):
        real = _real(input_ids, hidden)
        return (hidden * real).sum(1) / real.sum(1)


@mistake("last_position", "read position 0, where [CLS] is (hidden[:, 0]); the last position "
         "(hidden[:, -1]) is [PAD] in every sentence shorter than the batch.")
class ClsLastPosition(_Cls):
    def pool(self, hidden, input_ids):
        return hidden[:, -1]


@mistake("sep_token", "read position 0, where [CLS] is (hidden[:, 0]), not the last real token "
         "([SEP]).")
class ClsSepToken(_Cls):
    def pool(self, hidden, input_ids):
        last = (input_ids != PAD_ID).sum(1) - 1  # (B,) position of [SEP]
        return hidden[torch.arange(hidden.shape[0]), last]


@mistake("padding_mask_ignored", "pass the padding mask to the encoder (True at real tokens, "
         "expand_padding_mask(padding_mask(input_ids, PAD_ID))): without it [CLS] attends to "
         "the [PAD] positions too, and a sentence's class depends on how much padding it got.")
class ClsNoMask(_Cls):
    def mask(self, input_ids):
        return None


@mistake("padding_mask_flipped", "the mask must be True at REAL tokens (input_ids != PAD_ID): "
         "True means 'may attend'. With True at the [PAD] positions, [CLS] reads only padding.")
class ClsMaskFlipped(_Cls):
    def mask(self, input_ids):
        return expand_padding_mask(input_ids == PAD_ID)


@mistake("batch_index_not_position", "hidden has shape (B, T, E): hidden[0] is the whole first "
         "sentence (T, E); the [CLS] vectors of all sentences are hidden[:, 0], shape (B, E).")
class ClsBatchIndex(_Cls):
    def pool(self, hidden, input_ids):
        return hidden[0]


@mistake("returns_probabilities", "return the raw scores (logits) of the linear layer: "
         "F.cross_entropy applies the log-softmax itself, so a softmax here is applied twice.")
class ClsSoftmax(_Cls):
    def forward(self, input_ids):
        return super().forward(input_ids).softmax(dim=-1)


@mistake("classifier_on_vocab_logits", "the head reads the [CLS] hidden state (d_model "
         "features), not scores over the vocabulary: the MLM head is for pre-training only, "
         "so build classifier = nn.Linear(d_model, num_labels) on hidden[:, 0].")
class ClsOnVocabLogits(_Cls):
    def __init__(self, vocab_size, num_labels, d_model=64, num_heads=4, d_ff=128, num_layers=2,
                 max_len=64, dropout=0.1):
        super().__init__(vocab_size, num_labels, d_model, num_heads, d_ff, num_layers, max_len,
                         dropout)
        self.classifier = nn.Linear(vocab_size, num_labels)

    def pool(self, hidden, input_ids):
        return hidden[:, 0] @ self.embedding.token.weight.T  # (B, V) scores over the vocabulary


@mistake("first_word_not_cls", "[CLS] is the first token, position 0 (hidden[:, 0]); position 1 "
         "is the sentence's first word, which sees the sentence too but was never trained to "
         "summarise it.")
class ClsFirstWord(_Cls):
    def pool(self, hidden, input_ids):
        return hidden[:, 1]


CLS_MISTAKES = (ClsMeanWithPadding, ClsMeanPooling, ClsLastPosition, ClsSepToken, ClsNoMask,
                ClsMaskFlipped, ClsBatchIndex, ClsSoftmax, ClsOnVocabLogits, ClsFirstWord)

REQUIREMENTS = (
    Requirement("the encoder gets the padding mask, True at real tokens ([PAD] = PAD_ID after "
                "each sentence)", broken_by=("padding_mask_ignored", "padding_mask_flipped")),
    Requirement("the sentence vector is each sentence's hidden state at position 0, [CLS]: "
                "(B, E), not a mean, not another position, not the first sentence",
                broken_by=("mean_pooling_over_padding", "mean_pooling", "last_position",
                           "sep_token", "batch_index_not_position", "first_word_not_cls")),
    Requirement("the head is classifier = nn.Linear(d_model, num_labels) on that hidden state",
                broken_by=("classifier_on_vocab_logits",)),
    Requirement("forward returns raw logits (B, num_labels), no softmax",
                broken_by=("returns_probabilities",)),
)


ENTRY = Entry(f"{ID}/CLSClassifier", CLSClassifier, CLS_MISTAKES, points=3,
              requirements=REQUIREMENTS)
