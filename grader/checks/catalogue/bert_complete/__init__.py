"""Lesson 10's mistake catalogue (trusted; never shipped).

The references live in ``reference/bert/``: ``pair_inputs`` (:mod:`reference.bert.pairs`),
``make_nsp_pairs``, ``NSPHead`` and ``pretraining_loss`` (:mod:`reference.bert.nsp`),
``token_tagging_loss``, ``qa_loss`` and ``best_span`` (:mod:`reference.bert.heads`),
``last_four_layers`` (:mod:`reference.bert.features`). One module per exercise, as the
harnesses (``grader.labkit.exercises.bert_complete``); :mod:`.questions` holds the short
questions.
"""
