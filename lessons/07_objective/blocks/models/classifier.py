"""Sentence classifier on a pre-trained encoder (lesson 08).

Book: *Foundations of LLMs* ch. 1, fine-tuning a pre-trained encoder: the
hidden state of the first token ``[CLS]`` summarises the sequence, and a small
classifier on top of it is trained (with the encoder, or with some of its
layers frozen) on labelled data. Peer: Hugging Face
``BertForSequenceClassification`` (without its NSP-trained pooler).
"""

from __future__ import annotations

from torch import Tensor, nn

from .config import TransformerConfig
from .masked_lm import EncoderBody, MaskedLM


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
        ``ValueError`` when the two models' sizes differ.
        """
        if not isinstance(masked_lm, EncoderBody):
            raise ValueError(f"expected a MaskedLM, got {type(masked_lm).__name__}")
        for name in ("embedding", "encoder"):
            source, target = getattr(masked_lm, name), getattr(self, name)
            mine = {k: tuple(v.shape) for k, v in target.state_dict().items()}
            theirs = {k: tuple(v.shape) for k, v in source.state_dict().items()}
            if mine != theirs:
                raise ValueError(f"expected a MaskedLM with the same {name} sizes: "
                                 f"expected {mine}, got {theirs}")
            target.load_state_dict(source.state_dict())

    def freeze_layers(self, num_layers: int) -> None:
        """Freeze the embedding and the first ``num_layers`` encoder layers; train the rest.

        ``0`` unfreezes everything; ``len(encoder.layers)`` freezes the whole
        encoder (its final norm too), leaving only the classifier trainable.
        Calling it again replaces the previous setting.
        """
        total = len(self.encoder.layers)
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) \
                or not 0 <= num_layers <= total:
            raise ValueError(f"expected num_layers in [0, {total}], got {num_layers!r}")
        self.embedding.requires_grad_(num_layers == 0)
        for i, layer in enumerate(self.encoder.layers):
            layer.requires_grad_(i >= num_layers)
        if self.encoder.norm is not None:
            self.encoder.norm.requires_grad_(num_layers < total)
