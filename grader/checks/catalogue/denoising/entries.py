"""Lesson 06's ``ENTRIES``: each exercise's reference, mistakes and points (trusted; never shipped)."""

from __future__ import annotations

from reference.denoising import (
    document_rotation,
    sentence_permutation,
    seq2seq_loss,
    shift_right,
    span_corruption,
    text_infilling,
    token_deletion,
    token_masking,
)

from .. import Entry
from ._common import ID
from .document_rotation import DOCUMENT_ROTATION_MISTAKES
from .questions import QUESTIONS
from .sentence_permutation import SENTENCE_PERMUTATION_MISTAKES
from .seq2seq import SEQ2SEQ_LOSS_MISTAKES, SHIFT_RIGHT_MISTAKES
from .span_corruption import SPAN_CORRUPTION_MISTAKES
from .text_infilling import TEXT_INFILLING_MISTAKES
from .token_deletion import TOKEN_DELETION_MISTAKES
from .token_masking import TOKEN_MASKING_MISTAKES

ENTRIES = [
    Entry(f"{ID}/token_masking", token_masking, TOKEN_MASKING_MISTAKES, points=2),
    Entry(f"{ID}/token_deletion", token_deletion, TOKEN_DELETION_MISTAKES, points=2),
    Entry(f"{ID}/text_infilling", text_infilling, TEXT_INFILLING_MISTAKES, points=3),
    Entry(f"{ID}/sentence_permutation", sentence_permutation, SENTENCE_PERMUTATION_MISTAKES, points=2),
    Entry(f"{ID}/document_rotation", document_rotation, DOCUMENT_ROTATION_MISTAKES, points=1),
    Entry(f"{ID}/span_corruption", span_corruption, SPAN_CORRUPTION_MISTAKES, points=3),
    Entry(f"{ID}/shift_right", shift_right, SHIFT_RIGHT_MISTAKES, points=2),
    Entry(f"{ID}/seq2seq_loss", seq2seq_loss, SEQ2SEQ_LOSS_MISTAKES, points=2),
    *QUESTIONS,
]
