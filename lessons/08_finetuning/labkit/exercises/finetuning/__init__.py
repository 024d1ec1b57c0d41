"""Harnesses for lesson 08, fine-tuning a pre-trained encoder (book ch. 1, "Applying a
Pre-trained Encoder to Downstream Tasks" and "BERT as an Illustrative Example of
Pre-training and Application"; Devlin et al. 2019, sec. 3.2 and 4.1).

Exercises, in notebook order: ``CLSClassifier`` (a sentence classifier reading the
encoder's hidden state at position 0, ``[CLS]``), ``masked_mean_pool`` (the pooled
alternative: the mean over real tokens), ``load_pretrained_encoder`` (copy a masked
LM's embedding and encoder into the classifier), ``freeze_layers`` (freeze the
embedding and the first n encoder layers) and three short questions.

One file per exercise, as ``reference/models/classifier.py``:

- :mod:`._common`: token ids, random inputs and the error verdict the harnesses share;
- :mod:`.CLSClassifier`: ``CLSClassifier`` and the parameters its cases load;
- :mod:`.masked_mean_pool`: ``masked_mean_pool``;
- :mod:`._toys`: the torch-only stand-in models of the next two exercises;
- :mod:`.load_pretrained_encoder`, :mod:`.freeze_layers`: one exercise each;
- :mod:`.questions`: the three short questions.

Tolerances were measured by ``tests/grader/checks/catalogue/finetuning/_bank.py``
(``python -m tests.grader.checks.catalogue.finetuning._bank 100``): the largest error
of a bank of correct float32 implementations against the float64 reference over 100
seeds, visible and hidden cases, outputs and gradients; each is about ten times that
figure (quoted beside it).
"""
