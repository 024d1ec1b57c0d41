"""Harnesses for lesson 03, the Transformer encoder (book ch. 1, the Transformer
block; Vaswani et al. 2017, sec. 3.1, 3.3, 3.4 and 3.5).

Exercises, in notebook order: ``sinusoidal_positional_encoding``,
``TransformerEmbedding`` (token embedding scaled by sqrt(d_model) plus learned or
sinusoidal positions), ``FeedForward``, ``sublayer_connection`` (residual and
LayerNorm, post-norm and pre-norm), ``EncoderLayer``, ``Encoder`` and three short
questions.

Inputs are chosen so each catalogued mistake shows and differs from every other
one: T < max_len (the position table must be sliced), a token vocabulary smaller
than max_len (so positions looked up by token id give wrong values rather than an
error), a pad id other than 0 next to real tokens with id 0, padding in the middle
of a batch, several heads, odd sizes (an odd d_model for the sinusoid), ReLU and
GELU cases, a layer_norm_eps other than the default, inputs whose mean and scale
are far from 0 and 1 (so every misplaced LayerNorm shows), and stacks of two or
three layers with different weights (so a shared or repeated layer shows).

Class exercises are built with the reference's constructor arguments and get the
case's parameters; their parameter names must be the reference's (the message
says which are missing or unexpected). Buffers the student registers (e.g. the
sinusoid table) are kept.

One file per exercise, named by it:

- :mod:`._common`: the lesson id, random inputs and parameters, and the two mixins
  (naming a mistake from an error; loading parameters by name);
- :mod:`.sinusoidal_positional_encoding`, :mod:`.TransformerEmbedding`,
  :mod:`.FeedForward`, :mod:`.sublayer_connection`, :mod:`.EncoderLayer`,
  :mod:`.Encoder`: one exercise each;
- :mod:`.questions`: the three short questions.

Tolerances were measured by ``tests/grader/checks/catalogue/transformer_encoder/``
(``python -m tests.grader.checks.catalogue.transformer_encoder 100``): the largest
error of a bank of correct float32 implementations against the float64 reference
over 100 seeds, visible and hidden cases, outputs and gradients. Each tolerance is
about ten times that figure (the figure is quoted beside it).
"""
