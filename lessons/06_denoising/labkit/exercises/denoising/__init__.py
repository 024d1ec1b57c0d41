"""Harnesses for lesson 06, denoising autoencoding (book ch. 1, "Denoising Autoencoder
Training Objective", "Input Corruption Methods for Denoising Autoencoder Training",
"Span-Based Denoising as an Encoder-Decoder Training Objective"; Lewis et al. 2020,
BART; Raffel et al. 2020, T5).

Exercises, in notebook order: the six corruptions ``token_masking``,
``token_deletion``, ``text_infilling``, ``sentence_permutation``,
``document_rotation`` and ``span_corruption``; then ``shift_right`` and
``seq2seq_loss``; and three short questions.

One file per exercise, named by it (as ``reference/denoising``):

- :mod:`.token_masking`, :mod:`.token_deletion`, :mod:`.text_infilling`,
  :mod:`.sentence_permutation`, :mod:`.document_rotation`, :mod:`.span_corruption`:
  one corruption's harness and hints each;
- :mod:`.shift_right`, :mod:`.seq2seq_loss`: the teacher-forcing harnesses;
- :mod:`.questions`: the three short questions;
- :mod:`._common`: token ids, case-building and statistics helpers, the shared hints;
- :mod:`._corruption`: ``_Corruption``, the judge shared by the six corruptions.

Token ids follow the course tokenizer: ``[PAD]`` 0, ``[UNK]`` 1, ``[CLS]`` 2,
``[SEP]`` 3, ``[MASK]`` 4, ``<s>`` 5, ``</s>`` 6, sentinels ``<extra_id_0..7>`` 7..14.
"""
