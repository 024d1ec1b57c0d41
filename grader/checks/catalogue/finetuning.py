"""Lesson 08's references and mistake catalogue (trusted; never shipped).

Each mistake is a small wrong implementation with the student's signature (or,
for a question, a wrong answer). The grader runs it on the same inputs as the
candidate; when the candidate's outputs match a mistake's, the feedback names it.

The references are ``reference.models.SequenceClassifier`` (its ``forward``,
``load_pretrained_encoder`` and ``freeze_layers``), given the student's signatures
here; the tests check that each agrees with the reference model on real models.
The mean over real tokens (``masked_mean_pool``) has no function in the reference
(``SequenceClassifier`` pools ``[CLS]`` only), so it is stated below.
"""

from __future__ import annotations

import torch
from torch import nn

from reference.embeddings import TransformerEmbedding
from reference.layers import Encoder
from reference.masks import expand_padding_mask, padding_mask
from reference.models import SequenceClassifier, TransformerConfig
from reference.tokenizer import PAD_ID

from . import Entry, mistake

ID = "08_finetuning"


# --------------------------------------------------------------------------- CLSClassifier


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


CLS_MISTAKES = (ClsMeanWithPadding, ClsMeanPooling, ClsLastPosition, ClsSepToken, ClsNoMask,
                ClsMaskFlipped, ClsBatchIndex, ClsSoftmax, ClsOnVocabLogits)


# --------------------------------------------------------------------------- masked_mean_pool


def masked_mean_pool(hidden, attention_mask):
    """The mean of ``hidden`` (B, T, E) over the positions where ``attention_mask`` (B, T)
    is True: ``(B, E)``. Every row has at least one real token ([CLS])."""
    real = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * real).sum(dim=1) / real.sum(dim=1)  # (B, E) / (B, 1)


@mistake("mean_over_padding", "average over the REAL tokens only: multiply by the mask "
         "(attention_mask.unsqueeze(-1)) before summing over T, and divide by the number of "
         "real tokens, attention_mask.sum(1, keepdim=True), not by T.")
def pool_mean_over_padding(hidden, attention_mask):
    return hidden.mean(dim=1)


@mistake("sum_not_mean", "divide the sum over the real tokens by their number, "
         "attention_mask.sum(1, keepdim=True): a sum grows with the sentence's length.")
def pool_sum(hidden, attention_mask):
    return (hidden * attention_mask.unsqueeze(-1)).sum(dim=1)


@mistake("divided_by_length", "the padded positions are left out of the sum, so divide by the "
         "number of real tokens (attention_mask.sum(1, keepdim=True)), not by T.")
def pool_divided_by_t(hidden, attention_mask):
    return (hidden * attention_mask.unsqueeze(-1)).sum(dim=1) / hidden.shape[1]


@mistake("mask_flipped", "attention_mask is True at REAL tokens: keep those positions "
         "(multiply by the mask), do not keep the padding.")
def pool_mask_flipped(hidden, attention_mask):
    pads = (~attention_mask).unsqueeze(-1).to(hidden.dtype)
    return (hidden * pads).sum(dim=1) / pads.sum(dim=1)


@mistake("pooled_over_batch", "pool over the positions, dimension 1 (T), not over the batch: "
         "the result has one vector per sentence, (B, E).")
def pool_over_batch(hidden, attention_mask):
    real = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * real).sum(dim=0) / real.sum(dim=0).clamp_min(1)


@mistake("mask_not_unsqueezed", "the mask is (B, T) and hidden (B, T, E): add a last axis, "
         "attention_mask.unsqueeze(-1) (B, T, 1), so that it broadcasts over the features.")
def pool_mask_not_unsqueezed(hidden, attention_mask):
    return (hidden * attention_mask).sum(dim=1) / attention_mask.sum(dim=1)


POOL_MISTAKES = (pool_mean_over_padding, pool_sum, pool_divided_by_t, pool_mask_flipped,
                 pool_over_batch, pool_mask_not_unsqueezed)


# --------------------------------------------------------------------------- load_pretrained_encoder


def load_pretrained_encoder(classifier, masked_lm):
    """``SequenceClassifier.load_pretrained_encoder`` on any pair of models with the
    classifier's and the masked LM's layouts (the reference method also checks types)."""
    for name in ("embedding", "encoder"):
        getattr(classifier, name).load_state_dict(getattr(masked_lm, name).state_dict())


@mistake("embedding_not_copied", "the pre-trained body is the embedding AND the encoder: copy "
         "both (the token vectors were learned in pre-training too).")
def load_encoder_only(classifier, masked_lm):
    classifier.encoder.load_state_dict(masked_lm.encoder.state_dict())


@mistake("strict_false_loads_nothing", "nothing was copied: the keys of masked_lm.state_dict() "
         "start with 'embedding.' and 'encoder.', those of classifier.encoder.state_dict() do "
         "not, and strict=False silently skips every key that does not match. Load each module "
         "from its counterpart, classifier.encoder.load_state_dict(masked_lm.encoder.state_dict()), "
         "and keep strict=True so that a mismatch raises.")
def load_strict_false_prefix(classifier, masked_lm):
    classifier.embedding.load_state_dict(masked_lm.state_dict(), strict=False)
    classifier.encoder.load_state_dict(masked_lm.state_dict(), strict=False)


@mistake("copied_wrong_direction", "the masked LM's weights changed and the classifier's did "
         "not: copy FROM masked_lm INTO classifier, never the other way round.")
def load_wrong_direction(classifier, masked_lm):
    masked_lm.load_state_dict(classifier.state_dict(), strict=False)


@mistake("shares_modules", "classifier.encoder = masked_lm.encoder makes both models use the "
         "same tensors: fine-tuning the classifier would also change the pre-trained model (and "
         "every other classifier loaded from it). Copy the weights with load_state_dict "
         "(or copy.deepcopy the modules).")
def load_shared(classifier, masked_lm):
    classifier.embedding = masked_lm.embedding
    classifier.encoder = masked_lm.encoder


@mistake("mlm_head_loaded", "the classifier has no place for the MLM head (and the MLM has no "
         "classifier): load the embedding and the encoder only, each from its counterpart, "
         "e.g. classifier.encoder.load_state_dict(masked_lm.encoder.state_dict()).")
def load_whole_model(classifier, masked_lm):
    classifier.load_state_dict(masked_lm.state_dict())


@mistake("zipped_parameters", "pairing the two models' parameters with zip() in order runs past "
         "the body into the heads (the classifier's head and the MLM head do not match): copy "
         "the embedding and the encoder by name, e.g. with load_state_dict on each.")
def load_zipped(classifier, masked_lm):
    with torch.no_grad():
        for p, q in zip(classifier.parameters(), masked_lm.parameters(), strict=False):
            p.copy_(q)


LOAD_MISTAKES = (load_encoder_only, load_strict_false_prefix, load_wrong_direction, load_shared,
                 load_whole_model, load_zipped)


# --------------------------------------------------------------------------- freeze_layers


def freeze_layers(model, num_layers):
    """``SequenceClassifier.freeze_layers`` on any model with the classifier's layout."""
    SequenceClassifier.freeze_layers(model, num_layers)


def _set(module, trainable):
    for p in module.parameters():
        p.requires_grad = trainable


@mistake("freeze_last_n", "freeze the FIRST num_layers layers (model.encoder.layers[:n]), those "
         "next to the embedding: they hold the general features; the last layers, next to the "
         "head, are the ones to adapt to the task.")
def freeze_last(model, num_layers):
    _set(model.embedding, num_layers == 0)
    for i, layer in enumerate(model.encoder.layers):
        _set(layer, i < len(model.encoder.layers) - num_layers)


@mistake("head_frozen_too", "the classifier head is new and must always train: after freezing "
         "everything (model.requires_grad_(False)) unfreeze model.classifier too, or freeze only "
         "the embedding and the first layers.")
def freeze_head_too(model, num_layers):
    model.requires_grad_(False)
    for layer in model.encoder.layers[num_layers:]:
        layer.requires_grad_(True)
    if num_layers == 0:
        model.embedding.requires_grad_(True)


@mistake("requires_grad_on_module", "module.requires_grad = False only sets a new attribute on "
         "the module object; its parameters keep requires_grad=True. Call "
         "module.requires_grad_(False) (with the underscore), or set p.requires_grad on each "
         "parameter.")
def freeze_attribute(model, num_layers):
    if num_layers > 0:
        model.embedding.requires_grad = False
    for layer in model.encoder.layers[:num_layers]:
        layer.requires_grad = False


@mistake("eval_instead_of_freezing", "module.eval() only switches dropout (and batch norm) to "
         "inference behaviour; the parameters still get gradients and change. Freeze with "
         "module.requires_grad_(False).")
def freeze_eval(model, num_layers):
    if num_layers > 0:
        model.embedding.eval()
    for layer in model.encoder.layers[:num_layers]:
        layer.eval()


@mistake("embedding_not_frozen", "freeze the embedding as well whenever num_layers >= 1: it is "
         "below the first layer, so freezing layers above it while it trains makes little sense.")
def freeze_layers_only(model, num_layers):
    for i, layer in enumerate(model.encoder.layers):
        _set(layer, i >= num_layers)


@mistake("embedding_frozen_at_zero", "num_layers = 0 means 'freeze nothing': everything, the "
         "embedding included, trains. Freeze the embedding only when num_layers >= 1.")
def freeze_embedding_always(model, num_layers):
    _set(model.embedding, False)
    for i, layer in enumerate(model.encoder.layers):
        _set(layer, i >= num_layers)


@mistake("off_by_one", "freeze exactly num_layers encoder layers, those with index "
         "0 .. num_layers - 1 (layers[:num_layers]).")
def freeze_off_by_one(model, num_layers):
    _set(model.embedding, num_layers == 0)
    for i, layer in enumerate(model.encoder.layers):
        _set(layer, i > num_layers)


@mistake("whole_encoder_frozen", "freeze only the first num_layers layers, not the whole "
         "encoder: the layers above them are fine-tuned with the head.")
def freeze_whole_encoder(model, num_layers):
    _set(model.embedding, num_layers == 0)
    _set(model.encoder, num_layers == 0)


@mistake("never_unfreezes", "a second call must replace the first: set requires_grad on every "
         "layer, True for the layers to train as well as False for the frozen ones, so "
         "freeze_layers(model, 1) after freeze_layers(model, 4) unfreezes layers 1 to 3.")
def freeze_never_unfreezes(model, num_layers):
    if num_layers > 0:
        _set(model.embedding, False)
    for layer in model.encoder.layers[:num_layers]:
        _set(layer, False)


@mistake("nothing_frozen", "p.detach() returns a new tensor and leaves the parameter as it was: "
         "set p.requires_grad = False (or module.requires_grad_(False)) instead.")
def freeze_detach(model, num_layers):
    modules = ([model.embedding] if num_layers > 0 else []) + list(model.encoder.layers[:num_layers])
    for module in modules:
        for p in module.parameters():
            p.detach()


# never_unfreezes first: after "freeze all, then fewer" it leaves the whole encoder frozen,
# as whole_encoder_frozen and (when the second call is L - 1) off_by_one do; it is the only
# one of them that passes the cases before that one, so it is the diagnosis there.
FREEZE_MISTAKES = (freeze_never_unfreezes, freeze_last, freeze_head_too, freeze_attribute,
                   freeze_eval, freeze_layers_only, freeze_embedding_always, freeze_off_by_one,
                   freeze_whole_encoder, freeze_detach)


# --------------------------------------------------------------------------- questions


def _answer(id: str, hint: str, value) -> object:
    return mistake(id, hint)(value)


QUESTIONS = [
    Entry(f"{ID}/pooled_shape", (8, 768), (
        _answer("all_positions", "(8, 15, 768) is every position's hidden state; [CLS] pooling "
                "keeps one vector per sentence, that of position 0.", (8, 15, 768)),
        _answer("first_sentence", "(15, 768) is hidden[0], the first sentence's states; the [CLS] "
                "vectors of the batch are hidden[:, 0].", (15, 768)),
        _answer("no_batch_axis", "the batch axis stays: one 768-vector for each of the 8 "
                "sentences.", (768,)),
    ), points=1),
    Entry(f"{ID}/why_cls", "b", (
        _answer("thinks_position", "positional encodings do not make position 0 special in "
                "what it knows; think of which tokens position 0 can read.", "a"),
        _answer("thinks_mlm_trains_cls", "MLM never selects [CLS] (it is special) and predicts "
                "nothing there; BERT's [CLS] was trained by next-sentence prediction, ours only "
                "by fine-tuning.", "c"),
        _answer("thinks_left_to_right", "an encoder is not read left to right: every position "
                "attends to every other one in the same layer, in both directions.", "d"),
    ), points=1),
    Entry(f"{ID}/two_stages", "c", (
        _answer("pretrain_on_labels", "pre-training needs no labels and gains from as much "
                "text as possible: it uses the large unlabelled corpus; the small labelled set "
                "is for the task.", "a"),
        _answer("labels_from_nowhere", "the web text has no email categories: a supervised "
                "classifier cannot be trained on it. It serves a self-supervised objective "
                "(MLM) instead.", "b"),
        _answer("ignores_pretraining", "general text teaches the encoder the language (syntax, "
                "which words go together) that the classifier then needs only few labels to "
                "use: that is the point of pre-training.", "d"),
    ), points=1),
]


ENTRIES = [
    Entry(f"{ID}/CLSClassifier", CLSClassifier, CLS_MISTAKES, points=3),
    Entry(f"{ID}/masked_mean_pool", masked_mean_pool, POOL_MISTAKES, points=1),
    Entry(f"{ID}/load_pretrained_encoder", load_pretrained_encoder, LOAD_MISTAKES, points=2),
    Entry(f"{ID}/freeze_layers", freeze_layers, FREEZE_MISTAKES, points=2),
    *QUESTIONS,
]
