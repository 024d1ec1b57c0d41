"""Lesson 02's mistake catalogue (trusted; never shipped): attention.

Each mistake is a small wrong implementation with the student's signature (or,
for a question, a wrong answer). The grader runs it on the same inputs as the
candidate: when the candidate's output matches a mistake's, the feedback names
that mistake. Within an exercise the order matters only where two mistakes
agree on a case; the tests check that each one is diagnosed as itself. Every
reference comes from ``reference.masks`` and ``reference.attention``.

One file per exercise, as the harnesses (``grader.labkit.exercises.attention``),
each defining ``ENTRY``:

- :mod:`.padding_mask`, :mod:`.causal_mask`, :mod:`.scaled_dot_product_attention`,
  :mod:`.split_heads`, :mod:`.merge_heads`: one exercise each;
- :mod:`.MultiHeadAttention`: its mistakes reuse some of those above, as a student's
  module reuses their functions;
- :mod:`.questions`: ``ENTRIES``, the three short questions;
- :mod:`._common`: the lesson id.
"""
