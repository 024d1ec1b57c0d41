"""Lesson 08: wrong answers written from the notebook's spec (see the package docstring)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from reference.embeddings import TransformerEmbedding
from reference.layers import Encoder
from reference.masks import expand_padding_mask, padding_mask

PAD_ID = 0


class _Body(nn.Module):
    """The provided body and the head of the spec; each answer writes its own forward."""

    def __init__(self, vocab_size, num_labels, d_model=64, num_heads=4, d_ff=128, num_layers=2,
                 max_len=64, dropout=0.1):
        super().__init__()
        self.embedding = TransformerEmbedding(vocab_size, d_model, max_len, dropout=dropout)
        self.encoder = Encoder(num_layers, d_model, num_heads, d_ff, dropout, activation="gelu")
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(d_model, num_labels)

    def hidden(self, input_ids):
        mask = expand_padding_mask(padding_mask(input_ids, PAD_ID))
        return self.encoder(self.embedding(input_ids), mask)


class ClsMaskIsPadding(_Body):
    def forward(self, input_ids):
        mask = (input_ids == PAD_ID)[:, None, None, :]
        hidden = self.encoder(self.embedding(input_ids), mask)
        return self.classifier(self.dropout(hidden[:, 0, :]))


class ClsNoMaskPassed(_Body):
    def forward(self, input_ids):
        hidden = self.encoder(self.embedding(input_ids), None)
        return self.classifier(self.dropout(hidden[:, 0, :]))


class ClsLastToken(_Body):
    def forward(self, input_ids):
        return self.classifier(self.dropout(self.hidden(input_ids)[:, -1, :]))


class ClsFirstSentence(_Body):
    def forward(self, input_ids):
        return self.classifier(self.dropout(self.hidden(input_ids)[0]))


class ClsSecondPosition(_Body):
    def forward(self, input_ids):
        # "skip [CLS], it is only a marker": reads the first word instead
        return self.classifier(self.dropout(self.hidden(input_ids).select(1, 1)))


class ClsSoftmaxed(_Body):
    def forward(self, input_ids):
        logits = self.classifier(self.dropout(self.hidden(input_ids)[:, 0]))
        return F.softmax(logits, dim=1)


class ClsMaskedMean(_Body):
    def forward(self, input_ids):
        h = self.hidden(input_ids)
        real = (input_ids != PAD_ID).float().unsqueeze(-1)
        return self.classifier(self.dropout((h * real).sum(1) / real.sum(1)))


def pool_batch_count(hidden, attention_mask):
    m = attention_mask.unsqueeze(-1)
    return (hidden * m).sum(dim=1) / attention_mask.sum()


def pool_batch_count_float(hidden, attention_mask):
    m = attention_mask.float()
    return torch.einsum("bte,bt->be", hidden, m) / m.sum()


def pool_feature_axis(hidden, attention_mask):
    m = attention_mask.unsqueeze(-1)
    return (hidden * m).sum(-1) / attention_mask.sum(-1, keepdim=True)


def pool_feature_axis_fill(hidden, attention_mask):
    return hidden.masked_fill(~attention_mask.unsqueeze(-1), 0.0).mean(dim=-1)


def pool_loop_plain_mean(hidden, attention_mask):
    return torch.stack([hidden[b].mean(dim=0) for b in range(hidden.shape[0])])


def pool_loop_sum(hidden, attention_mask):
    return torch.stack([hidden[b][attention_mask[b]].sum(dim=0) for b in range(hidden.shape[0])])


def pool_over_t(hidden, attention_mask):
    return (hidden * attention_mask.unsqueeze(-1)).sum(1) / hidden.size(1)


def load_encoder_params_only(classifier, masked_lm):
    with torch.no_grad():
        source = dict(masked_lm.encoder.named_parameters())
        for name, p in classifier.encoder.named_parameters():
            p.copy_(source[name])


def load_backwards(classifier, masked_lm):
    masked_lm.embedding.load_state_dict(classifier.embedding.state_dict())
    masked_lm.encoder.load_state_dict(classifier.encoder.state_dict())


def load_share_encoder(classifier, masked_lm):
    classifier.embedding.load_state_dict(masked_lm.embedding.state_dict())
    classifier.encoder = masked_lm.encoder


def load_whole_prefixed_dict(classifier, masked_lm):
    state = masked_lm.state_dict()
    for name in ("embedding", "encoder"):
        getattr(classifier, name).load_state_dict(state, strict=False)


def load_everything_strict(classifier, masked_lm):
    classifier.load_state_dict(dict(masked_lm.state_dict()))


def _layers(model):
    return list(model.encoder.layers)


def freeze_top_layers(model, num_layers):
    n = len(_layers(model))
    for p in model.embedding.parameters():
        p.requires_grad = num_layers == 0
    for i, layer in enumerate(_layers(model)):
        for p in layer.parameters():
            p.requires_grad = i < n - num_layers


def freeze_attribute_set(model, num_layers):
    for module in [model.embedding, *_layers(model)][: num_layers + 1 if num_layers else 0]:
        module.requires_grad = False


def freeze_with_eval(model, num_layers):
    if num_layers:
        model.embedding.eval()
        for layer in _layers(model)[:num_layers]:
            layer.eval()


def freeze_everything_then_top(model, num_layers):
    for p in model.parameters():
        p.requires_grad = False
    for layer in _layers(model)[num_layers:]:
        for p in layer.parameters():
            p.requires_grad = True
    if num_layers == 0:
        for p in model.embedding.parameters():
            p.requires_grad = True


def freeze_only_false(model, num_layers):
    if num_layers > 0:
        model.embedding.requires_grad_(False)
        for layer in _layers(model)[:num_layers]:
            layer.requires_grad_(False)


def freeze_inclusive_range(model, num_layers):
    model.embedding.requires_grad_(num_layers == 0)
    for i, layer in enumerate(_layers(model)):
        layer.requires_grad_(not (num_layers and i <= num_layers))


def freeze_layers_but_not_embedding(model, num_layers):
    for i, layer in enumerate(_layers(model)):
        layer.requires_grad_(i >= num_layers)


WRONG = [
    ("CLSClassifier", ClsMaskIsPadding, "padding_mask_flipped"),
    ("CLSClassifier", ClsNoMaskPassed, "padding_mask_ignored"),
    ("CLSClassifier", ClsLastToken, "last_position"),
    ("CLSClassifier", ClsFirstSentence, "batch_index_not_position"),
    ("CLSClassifier", ClsSecondPosition, "first_word_not_cls"),
    ("CLSClassifier", ClsSoftmaxed, "returns_probabilities"),
    ("CLSClassifier", ClsMaskedMean, "mean_pooling"),
    ("masked_mean_pool", pool_batch_count, "divided_by_batch_count"),
    ("masked_mean_pool", pool_batch_count_float, "divided_by_batch_count"),
    ("masked_mean_pool", pool_feature_axis, "pooled_over_features"),
    ("masked_mean_pool", pool_feature_axis_fill, "pooled_over_features"),
    ("masked_mean_pool", pool_loop_plain_mean, "mean_over_padding"),
    ("masked_mean_pool", pool_loop_sum, "sum_not_mean"),
    ("masked_mean_pool", pool_over_t, "divided_by_length"),
    ("load_pretrained_encoder", load_encoder_params_only, "embedding_not_copied"),
    ("load_pretrained_encoder", load_backwards, "copied_wrong_direction"),
    ("load_pretrained_encoder", load_share_encoder, "shares_modules"),
    ("load_pretrained_encoder", load_whole_prefixed_dict, "strict_false_loads_nothing"),
    ("load_pretrained_encoder", load_everything_strict, "mlm_head_loaded"),
    ("freeze_layers", freeze_top_layers, "freeze_last_n"),
    ("freeze_layers", freeze_attribute_set, "requires_grad_on_module"),
    ("freeze_layers", freeze_with_eval, "eval_instead_of_freezing"),
    ("freeze_layers", freeze_everything_then_top, "head_frozen_too"),
    ("freeze_layers", freeze_only_false, "never_unfreezes"),
    ("freeze_layers", freeze_inclusive_range, "off_by_one"),
    ("freeze_layers", freeze_layers_but_not_embedding, "embedding_not_frozen"),
]
