"""The reference models, one per file (lessons 04 to 08).

Book: *Foundations of LLMs* ch. 1 (BERT-style masked language models,
encoder-decoder denoising models, fine-tuning) and ch. 2 (decoder-only
generative models, greedy decoding). Peers: Hugging Face ``BertForMaskedLM``,
``BartForConditionalGeneration``, ``GPT2LMHeadModel``,
``BertForSequenceClassification``; ``torch.nn.Transformer``.

- ``TransformerConfig``: the sizes (``config.py``)
- ``MaskedLM``: encoder + MLM head (``masked_lm.py``)
- ``EncoderDecoder``: ``encode``, ``decode``, ``forward`` (``encoder_decoder.py``)
- ``CausalLM``: decoder-only (``causal_lm.py``)
- ``SequenceClassifier``: ``[CLS]`` classifier, ``load_pretrained_encoder``, ``freeze_layers``;
  the same two as functions on any model of that layout, and ``masked_mean_pool``
  (the mean over real tokens) (``classifier.py``)
- ``next_token_probs``, ``greedy_decode(model, src_ids, max_len)`` (``decoding.py``)
"""

from reference.models.causal_lm import CausalLM
from reference.models.classifier import (
    SequenceClassifier,
    freeze_layers,
    load_pretrained_encoder,
    masked_mean_pool,
)
from reference.models.config import TransformerConfig
from reference.models.decoding import greedy_decode, next_token_probs
from reference.models.encoder_decoder import EncoderDecoder
from reference.models.masked_lm import EncoderBody, MaskedLM, MaskedLMHead

__all__ = [
    "CausalLM",
    "EncoderBody",
    "EncoderDecoder",
    "MaskedLM",
    "MaskedLMHead",
    "SequenceClassifier",
    "TransformerConfig",
    "freeze_layers",
    "greedy_decode",
    "load_pretrained_encoder",
    "masked_mean_pool",
    "next_token_probs",
]
