"""Harnesses for lesson 11, beyond BERT: other ways to corrupt a text and to learn from it
(book ch. 1, "Consecutive Token Masking in MLM", "The Generator in Replaced Token
Detection", "Discriminative Training", "Prefix Language Modeling"; Joshi et al. 2020,
Clark et al. 2020, Hinton et al. 2015, Sanh et al. 2019).

Exercises, in notebook order: ``span_lengths`` and ``span_masking`` (SpanBERT),
``whole_word_masking``, ``discriminator_inputs`` and ``electra_loss`` (ELECTRA),
``prefix_lm_mask`` and ``prefix_lm_loss``, ``distillation_loss``, and four short questions.

- :mod:`._common`: ids, random inputs and the verdict of a randomised judge;
- :mod:`._stats`: standard-error bounds and rival hypotheses of the randomised judges;
- one module per exercise; :mod:`.questions`: the four short questions.

The four randomised exercises (``span_lengths``, ``span_masking``, ``whole_word_masking``,
``discriminator_inputs``) are judged by invariants and statistics, never against the
reference's draws; the others are compared with the reference. Tolerances were measured by
``tests/grader/checks/catalogue/beyond_bert/_bank.py`` run as a script.
"""
