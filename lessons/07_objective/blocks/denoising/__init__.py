"""Denoising autoencoding (BART and T5): corrupt a sequence, reconstruct the original.

Book: *Foundations of LLMs* ch. 1, "Denoising Autoencoder Training Objective" and
"Input Corruption Methods for Denoising Autoencoder Training": an encoder reads a
corrupted sequence, a decoder reconstructs the original autoregressively from ``<s>``,
and the loss accumulates over every target token.

One file per idea:

- :mod:`.masking`: ``token_masking``, ``token_deletion`` (BART);
- :mod:`.infilling`: ``text_infilling`` (BART, Poisson spans, one ``[MASK]`` each);
- :mod:`.reordering`: ``sentence_permutation``, ``document_rotation`` (BART);
- :mod:`.span_corruption`: ``span_corruption`` (T5, sentinels);
- :mod:`.seq2seq`: ``shift_right`` and ``seq2seq_loss`` (teacher forcing).

Shared conventions. Each corruption takes one 1-D ``torch.long`` sequence without
padding and returns a new tensor (the input is never modified). Randomness comes only
from the ``generator`` argument (torch's global generator when it is None), drawn on
the CPU. Special tokens: as in BART (fairseq keeps ``<s>`` and ``</s>`` out of every
noising function), a leading run of ``[CLS]``/``<s>`` and a trailing run of
``[SEP]``/``</s>`` are never corrupted and never move; every other token, including
a ``.`` or an interior ``[SEP]``, is ordinary body. Peers: fairseq's BART
``DenoisingDataset`` and T5's span-corruption preprocessors.
"""

from .infilling import text_infilling
from .masking import token_deletion, token_masking
from .reordering import document_rotation, sentence_permutation
from .seq2seq import seq2seq_loss, shift_right
from .span_corruption import span_corruption

__all__ = [
    "document_rotation", "sentence_permutation", "seq2seq_loss", "shift_right", "span_corruption",
    "text_infilling", "token_deletion", "token_masking",
]
