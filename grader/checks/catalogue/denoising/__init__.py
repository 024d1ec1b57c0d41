"""Lesson 06's references and mistake catalogue (trusted; never shipped).

The corruptions are randomised: their harnesses judge invariants and statistics, and
name a mistake by what they measure (the hints ship with the harness, which needs them
in the student's kernel; every mistake here uses exactly that text). Each mistake is a
wrong implementation with the student's signature. ``shift_right`` and
``seq2seq_loss`` are deterministic: their mistakes are matched by their outputs.

One file per exercise, named by it (as ``reference/denoising`` and the harnesses,
``grader.labkit.exercises.denoising``), each defining ``ENTRY``: the reference, the
catalogued mistakes and the points.

- :mod:`.token_masking`, :mod:`.token_deletion`, :mod:`.text_infilling`,
  :mod:`.sentence_permutation`, :mod:`.document_rotation`, :mod:`.span_corruption`:
  the six corruptions;
- :mod:`.shift_right`, :mod:`.seq2seq_loss`: teacher forcing;
- :mod:`.questions`: ``ENTRIES``, the three short questions;
- :mod:`._common`: the lesson id and the helpers the mistakes share.
"""
