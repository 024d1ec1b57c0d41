"""Lesson 06's references and mistake catalogue (trusted; never shipped).

The corruptions are randomised: their harnesses judge invariants and statistics, and
name a mistake by what they measure (the hints ship with the harness, which needs them
in the student's kernel; every mistake here uses exactly that text). Each mistake below
is a wrong implementation with the student's signature; the tests check that each is
diagnosed as itself, visible and hidden. ``shift_right`` and ``seq2seq_loss`` are
deterministic: their mistakes are matched by their outputs.

One file per exercise, as ``reference/denoising`` and the harnesses
(``grader.labkit.exercises.denoising``):

- :mod:`._common`: the lesson id and the helpers the mistakes share;
- :mod:`.token_masking`, :mod:`.token_deletion`, :mod:`.text_infilling`,
  :mod:`.sentence_permutation`, :mod:`.document_rotation`, :mod:`.span_corruption`:
  one corruption's catalogued mistakes each;
- :mod:`.seq2seq`: the mistakes of ``shift_right`` and ``seq2seq_loss``;
- :mod:`.questions`: the three short questions;
- :mod:`.entries`: ``ENTRIES``, each exercise's reference, mistakes and points.
"""

from __future__ import annotations

from ._common import ID
from .document_rotation import (
    DOCUMENT_ROTATION_MISTAKES,
    dr_fixed_seed,
    dr_global_rng,
    dr_in_place,
    dr_off_by_one,
    dr_reverse,
    dr_whole_sequence,
)
from .entries import ENTRIES
from .questions import QUESTIONS
from .sentence_permutation import (
    SENTENCE_PERMUTATION_MISTAKES,
    sp_drop_last,
    sp_first_end_only,
    sp_fixed_seed,
    sp_global_rng,
    sp_in_place,
    sp_rotate_sentences,
    sp_split_before,
    sp_tokens,
    sp_whole_sequence,
)
from .seq2seq import (
    SEQ2SEQ_LOSS_MISTAKES,
    SHIFT_RIGHT_MISTAKES,
    loss_always_mean,
    loss_always_sum,
    loss_double_softmax,
    loss_ignored_as_0,
    loss_mean_all,
    loss_mean_per_sequence,
    loss_misaligned,
    loss_shifted_again,
    loss_sum_per_sequence,
    shift_in_place,
    shift_keeps_minus_100,
    shift_left,
    shift_none,
    shift_overwrite,
    shift_pad_first,
    shift_pad_zero,
    shift_start_5,
    shift_too_long,
)
from .span_corruption import (
    SPAN_CORRUPTION_MISTAKES,
    sc_bare_targets,
    sc_fixed_seed,
    sc_global_rng,
    sc_hardcoded,
    sc_in_place,
    sc_length_one,
    sc_no_final,
    sc_one_sentinel,
    sc_sentinels_from_7,
    sc_tail_only_in_inputs,
    sc_touching,
    sc_whole_sequence,
)
from .text_infilling import (
    TEXT_INFILLING_MISTAKES,
    ti_fixed_length,
    ti_fixed_seed,
    ti_global_rng,
    ti_hardcoded_lambda,
    ti_hardcoded_ratio,
    ti_in_place,
    ti_mask_per_token,
    ti_no_mask,
    ti_no_zero,
    ti_whole_sequence,
)
from .token_deletion import (
    TOKEN_DELETION_MISTAKES,
    td_count_whole,
    td_fixed_seed,
    td_global_rng,
    td_hardcoded,
    td_in_place,
    td_inverted,
    td_masks,
    td_one_span,
    td_per_document,
    td_strip_ends,
    td_whole_sequence,
)
from .token_masking import (
    TOKEN_MASKING_MISTAKES,
    tm_bert_style,
    tm_count_whole,
    tm_deletes,
    tm_fixed_seed,
    tm_global_rng,
    tm_hardcoded,
    tm_in_place,
    tm_inverted,
    tm_strip_ends,
    tm_whole_sequence,
)

__all__ = [
    "ID",
    "tm_whole_sequence",
    "tm_count_whole",
    "tm_hardcoded",
    "tm_inverted",
    "tm_bert_style",
    "tm_deletes",
    "tm_strip_ends",
    "tm_in_place",
    "tm_global_rng",
    "tm_fixed_seed",
    "TOKEN_MASKING_MISTAKES",
    "td_whole_sequence",
    "td_count_whole",
    "td_per_document",
    "td_hardcoded",
    "td_inverted",
    "td_masks",
    "td_one_span",
    "td_strip_ends",
    "td_in_place",
    "td_global_rng",
    "td_fixed_seed",
    "TOKEN_DELETION_MISTAKES",
    "ti_whole_sequence",
    "ti_mask_per_token",
    "ti_fixed_length",
    "ti_no_zero",
    "ti_hardcoded_lambda",
    "ti_hardcoded_ratio",
    "ti_no_mask",
    "ti_in_place",
    "ti_global_rng",
    "ti_fixed_seed",
    "TEXT_INFILLING_MISTAKES",
    "sp_tokens",
    "sp_whole_sequence",
    "sp_split_before",
    "sp_first_end_only",
    "sp_drop_last",
    "sp_rotate_sentences",
    "sp_in_place",
    "sp_global_rng",
    "sp_fixed_seed",
    "SENTENCE_PERMUTATION_MISTAKES",
    "dr_reverse",
    "dr_whole_sequence",
    "dr_off_by_one",
    "dr_in_place",
    "dr_global_rng",
    "dr_fixed_seed",
    "DOCUMENT_ROTATION_MISTAKES",
    "sc_one_sentinel",
    "sc_no_final",
    "sc_bare_targets",
    "sc_sentinels_from_7",
    "sc_whole_sequence",
    "sc_tail_only_in_inputs",
    "sc_touching",
    "sc_length_one",
    "sc_hardcoded",
    "sc_in_place",
    "sc_global_rng",
    "sc_fixed_seed",
    "SPAN_CORRUPTION_MISTAKES",
    "shift_pad_first",
    "shift_keeps_minus_100",
    "shift_left",
    "shift_none",
    "shift_overwrite",
    "shift_too_long",
    "shift_pad_zero",
    "shift_start_5",
    "shift_in_place",
    "SHIFT_RIGHT_MISTAKES",
    "loss_ignored_as_0",
    "loss_mean_all",
    "loss_mean_per_sequence",
    "loss_always_sum",
    "loss_always_mean",
    "loss_sum_per_sequence",
    "loss_shifted_again",
    "loss_double_softmax",
    "loss_misaligned",
    "SEQ2SEQ_LOSS_MISTAKES",
    "QUESTIONS",
    "ENTRIES",
]
