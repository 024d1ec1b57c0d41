"""Lesson 01's mistake catalogue (trusted; never shipped): sequence-to-sequence with RNNs.

Each mistake is a small wrong implementation with the student's signature (or,
for a question, a wrong answer). Class mistakes subclass the reference, so they
have its constructor and parameters and change only the method the student
writes. The grader runs each one on the same inputs as the candidate: when the
candidate's outputs match a mistake's, the feedback names that mistake. Every
reference comes from ``reference.rnn``.

One file per exercise, as the harnesses (``grader.labkit.exercises.rnn_seq2seq``),
each defining ``ENTRY``:

- :mod:`.RNNEncoder`, :mod:`.context_vector`, :mod:`.RNNDecoder`,
  :mod:`.teacher_forcing_batch`, :mod:`.teacher_forced_loss`: one exercise each;
- :mod:`.questions`: ``ENTRIES``, the three short questions;
- :mod:`._common`: the lesson id.
"""
