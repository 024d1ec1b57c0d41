"""Sentence classifier on a pre-trained encoder (lesson 08).

Book: *Foundations of LLMs* ch. 1, fine-tuning a pre-trained encoder: the
hidden state of the first token ``[CLS]`` summarises the sequence, and a small
classifier on top of it is trained (with the encoder, or with some of its
layers frozen) on labelled data. Peer: Hugging Face
``BertForSequenceClassification`` (without its NSP-trained pooler).

Besides :class:`SequenceClassifier`, the lesson's other exercises as functions:

- :func:`masked_mean_pool`: the pooled alternative to ``[CLS]``, the mean of the
  hidden states over the real tokens;
- :func:`load_pretrained_encoder`: copy a masked LM's ``embedding`` and ``encoder``
  into a classifier (``SequenceClassifier.load_pretrained_encoder``);
- :func:`freeze_layers`: freeze the embedding and the first encoder layers
  (``SequenceClassifier.freeze_layers``).

The two functions on models need only the layout (sub-modules ``embedding`` and
``encoder`` with ``encoder.layers`` and ``encoder.norm``), not these classes.
"""

from __future__ import annotations

from torch import Tensor, nn

from reference._checks import check_bool_mask, check_float_tensor
from reference.models.config import TransformerConfig
from reference.models.masked_lm import EncoderBody, MaskedLM

__all__ = ["SequenceClassifier", "freeze_layers", "load_pretrained_encoder", "masked_mean_pool"]

#: The pre-trained body that a classifier takes over from a masked LM.
_BODY = ("embedding", "encoder")


class SequenceClassifier(EncoderBody):
    """``forward(input_ids, attention_mask=None) -> logits (B, num_labels)`` from position 0.

    Sub-modules ``embedding`` and ``encoder`` (the same names and shapes as in
    :class:`MaskedLM`), ``dropout`` and ``classifier`` (``d_model -> num_labels``).
    Sequences should start with ``[CLS]``: its hidden state is what is classified.
    """

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__(config)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.d_model, config.num_labels)

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        hidden = self.encode(input_ids, attention_mask)  # (B, T, E)
        return self.classifier(self.dropout(hidden[:, 0]))  # (B, E) -> (B, num_labels)

    def load_pretrained_encoder(self, masked_lm: MaskedLM) -> None:
        """Copy ``embedding`` and ``encoder`` weights from a (pre-trained) :class:`MaskedLM`.

        The MLM head is left behind; ``classifier`` keeps its fresh weights. Raises
        ``ValueError`` when ``masked_lm`` is no such model or the two models' sizes differ.
        """
        if not isinstance(masked_lm, EncoderBody):
            raise ValueError(f"expected a MaskedLM, got {type(masked_lm).__name__}")
        load_pretrained_encoder(self, masked_lm)

    def freeze_layers(self, num_layers: int) -> None:
        """Freeze the embedding and the first ``num_layers`` encoder layers; train the rest.

        ``0`` unfreezes everything; ``len(encoder.layers)`` freezes the whole
        encoder (its final norm too), leaving only the classifier trainable.
        Calling it again replaces the previous setting.
        """
        freeze_layers(self, num_layers)


def masked_mean_pool(hidden: Tensor, attention_mask: Tensor) -> Tensor:
    """The mean of the hidden states over the real tokens: one vector per sentence.

    ``hidden`` (B, T, E) float, ``attention_mask`` (B, T) bool, True at real tokens;
    returns (B, E). Padded positions do not count, whatever they hold, so a sentence
    gets the same vector however much padding its batch needs. Every row needs a real
    token (``[CLS]`` is one). The pooled alternative to reading ``[CLS]``: Reimers &
    Gurevych 2019 (Sentence-BERT), mean pooling; torch peer
    ``F.embedding_bag(..., mode="mean")`` over each row's real positions.
    """
    check_float_tensor(hidden, "hidden", ndim=3, layout="(B, T, E)")
    check_bool_mask(attention_mask, "attention_mask", shape=hidden.shape[:2], layout="(B, T)")
    counts = attention_mask.sum(dim=1)  # (B,) real tokens per row
    if not bool((counts > 0).all()):
        empty = [int(i) for i in (counts == 0).nonzero().squeeze(1)]  # rows without a real token
        raise ValueError(f"expected at least one real token in every row of attention_mask, "
                         f"got none in rows {empty}")
    real = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * real).sum(dim=1) / real.sum(dim=1)  # (B, E) / (B, 1)


def _body(model: nn.Module, role: str) -> None:
    """Raise unless ``model`` has the sub-modules ``embedding`` and ``encoder``."""
    missing = [name for name in _BODY if not isinstance(getattr(model, name, None), nn.Module)]
    if missing:
        raise ValueError(f"expected {role} with the sub-modules {list(_BODY)}, got "
                         f"{type(model).__name__} without {missing}")


def load_pretrained_encoder(classifier: nn.Module, masked_lm: nn.Module) -> None:
    """Copy ``masked_lm``'s ``embedding`` and ``encoder`` weights into ``classifier``'s.

    Each module is loaded from its counterpart (``load_state_dict``): the classifier
    keeps its own tensors (nothing is shared) and its head; the MLM head is left behind
    and ``masked_lm`` is unchanged. Works on any two models with that layout (the
    reference's :class:`MaskedLM` and :class:`SequenceClassifier`, or stand-ins).
    Raises ``ValueError`` when a module is missing or the two models' sizes differ.
    Peer: Hugging Face ``from_pretrained`` of ``BertForSequenceClassification`` on a
    ``BertForMaskedLM`` checkpoint (the body's weights load, the heads' do not).
    """
    _body(classifier, "a classifier")
    _body(masked_lm, "a masked LM")
    for name in _BODY:
        source, target = getattr(masked_lm, name), getattr(classifier, name)
        mine = {k: tuple(v.shape) for k, v in target.state_dict().items()}
        theirs = {k: tuple(v.shape) for k, v in source.state_dict().items()}
        if mine != theirs:
            raise ValueError(f"expected a MaskedLM with the same {name} sizes: "
                             f"expected {mine}, got {theirs}")
        target.load_state_dict(source.state_dict())


def freeze_layers(model: nn.Module, num_layers: int) -> None:
    """Freeze ``model``'s embedding and first ``num_layers`` encoder layers; train the rest.

    ``0`` unfreezes everything; ``len(model.encoder.layers)`` freezes the whole
    encoder (its final norm too, where it has one), leaving only the head trainable.
    Sets ``requires_grad`` on every parameter of the body, so calling it again
    replaces the previous setting; the weights themselves never change. Raises
    ``ValueError`` unless ``num_layers`` is an int in ``[0, len(model.encoder.layers)]``.
    Peer: the usual ``requires_grad_(False)`` recipe of partial fine-tuning (Howard &
    Ruder 2018, ULMFiT's gradual unfreezing).
    """
    _body(model, "a classifier")
    total = len(model.encoder.layers)
    if isinstance(num_layers, bool) or not isinstance(num_layers, int) \
            or not 0 <= num_layers <= total:
        raise ValueError(f"expected num_layers in [0, {total}], got {num_layers!r}")
    model.embedding.requires_grad_(num_layers == 0)
    for i, layer in enumerate(model.encoder.layers):
        layer.requires_grad_(i >= num_layers)
    if model.encoder.norm is not None:
        model.encoder.norm.requires_grad_(num_layers < total)
