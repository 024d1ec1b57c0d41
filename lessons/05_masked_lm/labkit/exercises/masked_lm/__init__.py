"""Harnesses for lesson 05, masked language modelling (book ch. 1, "Masked Language
Modeling" and "Token Selection and Modification Strategy in BERT's MLM"; Devlin et al. 2019).

Exercises, in notebook order: ``mask_tokens`` (BERT's 15% selection and 80/10/10
replacement), ``mlm_loss`` (cross-entropy on the selected positions only), ``MLMHead``
(dense, GELU, LayerNorm, projection to the vocabulary) and three short questions.

One file per exercise, as ``reference/mlm.py`` and ``reference/models/masked_lm.py``:

- :mod:`._common`: the lesson id, the ignored label and the course tokenizer's ids;
- :mod:`.mask_tokens`: ``mask_tokens``, its hints (``MASK_TOKENS_HINTS``, shipped so that
  the judge names a mistake in the student's kernel) and its statistical judge;
- :mod:`.mlm_loss`: ``mlm_loss``;
- :mod:`.MLMHead`: ``MLMHead``;
- :mod:`.questions`: the three short questions.
"""
