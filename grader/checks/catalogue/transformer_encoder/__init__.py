"""Lesson 03's mistake catalogue (trusted; never shipped).

Each mistake is a small wrong implementation with the student's signature (or,
for a question, a wrong answer). The grader runs it on the same inputs as the
candidate: when the candidate's output matches a mistake's, the feedback names
that mistake. Within an exercise the order matters only where two mistakes agree
on a case (``norm_first_ignored`` and ``norm_order_swapped`` agree on the
pre-norm case; the one that passes the post-norm case comes first).

The references are ``reference.embeddings`` (the sinusoid, ``TransformerEmbedding``)
and ``reference.layers`` (``FeedForward``, ``sublayer_connection``, ``EncoderLayer``,
``Encoder``). One file per exercise, named by it, as the harnesses
(``grader.labkit.exercises.transformer_encoder``):

- :mod:`._common`: the lesson id;
- :mod:`.sinusoidal_positional_encoding`, :mod:`.TransformerEmbedding`,
  :mod:`.FeedForward`, :mod:`.sublayer_connection`, :mod:`.EncoderLayer`,
  :mod:`.Encoder`: each defines ``ENTRY``, its reference and catalogued mistakes;
- :mod:`.questions`: ``ENTRIES``, the three short questions.
"""
