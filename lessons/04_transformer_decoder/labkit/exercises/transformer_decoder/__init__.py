"""Harnesses for lesson 04, the Transformer decoder (book ch. 1, the encoder-decoder
Transformer; ch. 2, generating text one token at a time; Vaswani et al. 2017, sec. 3.1
and 3.2.3).

Exercises, in notebook order: ``decoder_self_mask``, ``DecoderLayer``,
``cross_attention_shape``, ``next_token_probs``, ``teacher_forcing_passes``,
``greedy_decode`` and ``greedy_decoder_calls``.

Inputs are chosen so each catalogued mistake shows and differs from every other
one: target padding in the middle of a batch (rows of different lengths), a pad
id other than 0 next to a real token with id 0, a prefix of one token, T != S,
several heads, post-norm and pre-norm layers, source padding, vocabulary size
!= d_model, and for greedy decoding rows that end with ``</s>`` at different
steps, a row longer than ``max_len``, special ids given as arguments and
``max_len=1``.

One file per exercise, named by it:

- :mod:`._common`: the lesson id, the course tokenizer's special ids, random inputs
  and the mixin that names a mistake from an error or a wrong dtype;
- :mod:`.decoder_self_mask`, :mod:`.DecoderLayer`, :mod:`.next_token_probs`: one
  exercise each;
- :mod:`.greedy_decode`: the exercise and :class:`ScriptedTranslator`, a stand-in for
  a trained encoder-decoder whose next token depends on the position, on the current
  target token and on the source words the padding mask lets through; so greedy
  decoding has exactly one right output, and each wrong way of feeding the model
  leads somewhere else;
- :mod:`.questions`: the three short questions.

Tolerances were measured by ``tests/grader/checks/catalogue/transformer_decoder/``
(``python -m tests.grader.checks.catalogue.transformer_decoder 200``): the largest
error of a bank of correct float32 implementations against the float64 reference
over 200 seeds, visible and hidden cases, outputs and gradients. Each harness's
tolerance is about ten times that figure.
"""
