"""Harnesses for lesson 10, BERT complete: sentence pairs and task heads (book ch. 1, "BERT
as an Illustrative Example of Pre-training and Application"; Devlin et al. 2019, sec. 3-5).

Exercises, in notebook order: ``pair_inputs`` (``[CLS] A [SEP] B [SEP]``, token types and
longest-first truncation), ``make_nsp_pairs`` (next-sentence prediction pairs, randomised:
judged by invariants and statistics), ``NSPHead`` (the pooler and the 2-way classifier),
``pretraining_loss`` (MLM + NSP), ``token_tagging_loss``, ``qa_loss``, ``best_span``
(decoding the answer span), ``last_four_layers`` (features from the last four layers) and
the short questions of :mod:`.questions`.

- :mod:`._common`: ids, random inputs and the judge of deterministic exercises;
- :mod:`._toys`: the torch-only stand-in encoder of ``last_four_layers``;
- one module per exercise.

Tolerances were measured by ``tests/grader/checks/catalogue/bert_complete/_bank.py``
(run as a script, 50 seeds): the worst error of a bank of correct float32 implementations
against the float64 reference, visible and hidden cases; each figure is quoted beside its
tolerance, which it uses at most 0.13 of.
"""
