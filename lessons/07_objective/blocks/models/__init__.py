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
- ``SequenceClassifier``: ``[CLS]`` classifier, ``load_pretrained_encoder``, ``freeze_layers``
- ``greedy_decode(model, src_ids, max_len)`` (``decoding.py``)
"""

from .causal_lm import CausalLM
from .classifier import SequenceClassifier
from .config import TransformerConfig
from .decoding import greedy_decode
from .encoder_decoder import EncoderDecoder
from .masked_lm import EncoderBody, MaskedLM, MaskedLMHead

__all__ = [
    "CausalLM",
    "EncoderBody",
    "EncoderDecoder",
    "MaskedLM",
    "MaskedLMHead",
    "SequenceClassifier",
    "TransformerConfig",
    "greedy_decode",
]
