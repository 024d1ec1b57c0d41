"""Lesson 04's mistake catalogue (trusted; never shipped).

Each mistake is a small wrong implementation with the student's signature (or,
for a question, a wrong answer). The grader runs it on the same inputs as the
candidate: when the candidate's outputs match a mistake's, the feedback names
that mistake. A mistake may appear in two common spellings under one id (e.g.
keys and values from the decoder, with or without the memory mask).

The references are ``reference.masks.decoder_self_mask``, ``reference.layers.DecoderLayer``
and ``reference.models.decoding`` (``next_token_probs``, ``greedy_decode``). One file
per exercise, named by it, as the harnesses (``grader.labkit.exercises.transformer_decoder``):

- :mod:`._common`: the lesson id;
- :mod:`.decoder_self_mask`, :mod:`.DecoderLayer`, :mod:`.next_token_probs`,
  :mod:`.greedy_decode`: each defines ``ENTRY``, its reference and catalogued mistakes;
- :mod:`.questions`: ``ENTRIES``, the three short questions.
"""
