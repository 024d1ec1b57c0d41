"""Harnesses for lesson 06, denoising autoencoding (book ch. 1, "Denoising Autoencoder
Training Objective", "Input Corruption Methods for Denoising Autoencoder Training",
"Span-Based Denoising as an Encoder-Decoder Training Objective"; Lewis et al. 2020,
BART; Raffel et al. 2020, T5).

Exercises, in notebook order: the six corruptions ``token_masking``,
``token_deletion``, ``text_infilling``, ``sentence_permutation``,
``document_rotation`` and ``span_corruption``; then ``shift_right`` and
``seq2seq_loss``; and three short questions.

One file per exercise, as ``reference/denoising``:

- :mod:`._common`: token ids, case-building and statistics helpers, the shared hints;
- :mod:`._corruption`: ``_Corruption``, the judge shared by the six corruptions;
- :mod:`.token_masking`, :mod:`.token_deletion`, :mod:`.text_infilling`,
  :mod:`.sentence_permutation`, :mod:`.document_rotation`, :mod:`.span_corruption`:
  one corruption's harness and hints each;
- :mod:`.seq2seq`: ``shift_right`` and ``seq2seq_loss``;
- :mod:`.questions`: the three short questions.

Token ids follow the course tokenizer: ``[PAD]`` 0, ``[UNK]`` 1, ``[CLS]`` 2,
``[SEP]`` 3, ``[MASK]`` 4, ``<s>`` 5, ``</s>`` 6, sentinels ``<extra_id_0..7>`` 7..14.
"""

from __future__ import annotations

from ._common import (
    BOS_ID,
    BOUNDARIES,
    CLS_ID,
    COMMON_HINTS,
    DOT,
    EOS_ID,
    IGNORE_INDEX,
    LEADING_IDS,
    LESSON,
    MASK_ID,
    PAD_ID,
    QMARK,
    SENTINEL_IDS,
    SEP_ID,
    TRAILING_IDS,
    UNK_ID,
    WORD_BASE,
    WORD_POOL,
    Z_BOUND,
    Problem,
    split_boundary,
)
from .document_rotation import DOCUMENT_ROTATION_HINTS, DocumentRotation
from .questions import InfillingHides, PerTokenLoss, T5TargetSentinels
from .sentence_permutation import (
    SENTENCE_PERMUTATION_HINTS,
    SentencePermutation,
    sentence_order,
    split_sentences,
)
from .seq2seq import Seq2SeqLoss, ShiftRight
from .span_corruption import SPAN_CORRUPTION_HINTS, SpanCorruption
from .text_infilling import TEXT_INFILLING_HINTS, TextInfilling, infilling_gaps
from .token_deletion import TOKEN_DELETION_HINTS, TokenDeletion
from .token_masking import TOKEN_MASKING_HINTS, TokenMasking

__all__ = [
    "LESSON",
    "IGNORE_INDEX",
    "PAD_ID",
    "UNK_ID",
    "CLS_ID",
    "SEP_ID",
    "MASK_ID",
    "BOS_ID",
    "EOS_ID",
    "SENTINEL_IDS",
    "LEADING_IDS",
    "TRAILING_IDS",
    "DOT",
    "QMARK",
    "WORD_BASE",
    "WORD_POOL",
    "Z_BOUND",
    "BOUNDARIES",
    "split_boundary",
    "Problem",
    "COMMON_HINTS",
    "TOKEN_MASKING_HINTS",
    "TokenMasking",
    "TOKEN_DELETION_HINTS",
    "TokenDeletion",
    "TEXT_INFILLING_HINTS",
    "infilling_gaps",
    "TextInfilling",
    "SENTENCE_PERMUTATION_HINTS",
    "split_sentences",
    "sentence_order",
    "SentencePermutation",
    "DOCUMENT_ROTATION_HINTS",
    "DocumentRotation",
    "SPAN_CORRUPTION_HINTS",
    "SpanCorruption",
    "ShiftRight",
    "Seq2SeqLoss",
    "PerTokenLoss",
    "InfillingHides",
    "T5TargetSentinels",
]
