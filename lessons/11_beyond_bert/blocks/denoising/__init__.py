"""Denoising autoencoding (BART and T5): corrupt a sequence, reconstruct the original.

Book: *Foundations of LLMs* ch. 1, "Denoising Autoencoder Training Objective" and
"Input Corruption Methods for Denoising Autoencoder Training": an encoder reads a
corrupted sequence, a decoder reconstructs the original autoregressively from ``<s>``,
and the loss accumulates over every target token.

One file per function of the lesson, named by it:

- :mod:`.token_masking`, :mod:`.token_deletion` (BART);
- :mod:`.text_infilling` (BART, Poisson spans, one ``[MASK]`` each);
- :mod:`.sentence_permutation`, :mod:`.document_rotation` (BART, reordering);
- :mod:`.span_corruption` (T5, sentinels);
- :mod:`.shift_right` (teacher forcing: the decoder's input) and :mod:`.seq2seq_loss`
  (the loss over every target token);
- :mod:`._common`: argument checks, the boundary rule and the random choice they share.

Shared conventions. Each corruption takes one 1-D ``torch.long`` sequence without
padding and returns a new tensor (the input is never modified). Randomness comes only
from the ``generator`` argument (torch's global generator when it is None), drawn on
the CPU. Special tokens: as in BART (fairseq keeps ``<s>`` and ``</s>`` out of every
noising function), a leading run of ``[CLS]``/``<s>`` and a trailing run of
``[SEP]``/``</s>`` are never corrupted and never move; every other token, including
a ``.`` or an interior ``[SEP]``, is ordinary body. Peers: fairseq's BART
``DenoisingDataset`` and T5's span-corruption preprocessors.
"""

from .document_rotation import document_rotation
from .sentence_permutation import sentence_permutation
from .seq2seq_loss import seq2seq_loss
from .shift_right import shift_right
from .span_corruption import span_corruption
from .text_infilling import text_infilling
from .token_deletion import token_deletion
from .token_masking import token_masking

__all__ = [
    "document_rotation", "sentence_permutation", "seq2seq_loss", "shift_right", "span_corruption",
    "text_infilling", "token_deletion", "token_masking",
]
