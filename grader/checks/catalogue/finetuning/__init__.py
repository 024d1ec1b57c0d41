"""Lesson 08's mistake catalogue (trusted; never shipped).

Each mistake is a small wrong implementation with the student's signature (or,
for a question, a wrong answer). The grader runs it on the same inputs as the
candidate; when the candidate's outputs match a mistake's, the feedback names it.

The references live in ``reference/models/classifier.py``: ``SequenceClassifier``
(given the student's constructor in :mod:`.CLSClassifier`), ``masked_mean_pool``,
``load_pretrained_encoder`` and ``freeze_layers``.

One file per exercise, as the harnesses (``grader.labkit.exercises.finetuning``):

- :mod:`._common`: the lesson id;
- :mod:`.CLSClassifier`, :mod:`.masked_mean_pool`, :mod:`.load_pretrained_encoder`,
  :mod:`.freeze_layers`: one exercise's mistakes and entry each;
- :mod:`.questions`: the three short questions.
"""
