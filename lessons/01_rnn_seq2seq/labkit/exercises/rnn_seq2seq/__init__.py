"""Harnesses for lesson 01, sequence-to-sequence with RNNs (the course's encoder-decoder
notes: the architecture before Transformers; Sutskever et al. 2014).

Exercises, in notebook order, one file each (named by the exercise):

- :mod:`.RNNEncoder`: the loop h_t = tanh(W_x x_t + W_h h_{t-1} + b), padding respected;
- :mod:`.context_vector`: c = m(h_1, ..., h_T), modes "last" and "mean";
- :mod:`.RNNDecoder`: the step s_t = g(s_{t-1}, y_{t-1}, c) with its output layer, and
  the teacher-forced loop;
- :mod:`.teacher_forcing_batch`: decoder inputs shifted right behind ``<s>``, labels with
  -100 at padding;
- :mod:`.teacher_forced_loss`: L = -sum_t log p(y_t | y_<t, c), sum and mean;
- :mod:`.questions`: the three short questions;
- :mod:`._common`: the course's token ids, random inputs and padding, and the two
  module harnesses' shared judging and building.

Inputs are chosen so that each catalogued mistake shows and differs from every
other one: B, T, E, H and V all different (so a wrong stacking axis gives a
wrong shape), padding of different lengths with the shortest sequence in the
middle of the batch, left padding, a pad id other than 0 next to real tokens
with id 0, hidden states that are NOT copies of the last real state at padded
positions, and labels with a different number of real tokens per row.

Tolerances were measured by ``tests/grader/checks/catalogue/rnn_seq2seq/measure.py``
(``python -m tests.grader.checks.catalogue.rnn_seq2seq.measure 200``): the largest
error of a bank of correct float32 implementations against the float64 reference
over 200 seeds, visible and hidden cases, outputs and gradients, scaled as
|error| / (1 + |expected|) so that one figure serves as atol and rtol. Each
tolerance is about ten times that figure.
"""
