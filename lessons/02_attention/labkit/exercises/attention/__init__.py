"""Harnesses for lesson 02, attention (book ch. 1; Vaswani et al. 2017, sec. 3.2).

Exercises, in notebook order, one file each (named by the exercise):

- :mod:`.padding_mask`, :mod:`.causal_mask`: the two boolean masks (True = may attend);
- :mod:`.scaled_dot_product_attention`: softmax(Q K^T / sqrt(d_k)) V with a mask;
- :mod:`.split_heads`, :mod:`.merge_heads`: (B, T, E) <-> (B, H, T, Dh);
- :mod:`.MultiHeadAttention`: the module with q_proj, k_proj, v_proj and out_proj;
- :mod:`.questions`: the three short questions;
- :mod:`._common`: the lesson id, random inputs and the mixin that names the failures
  ``compare`` leaves unnamed.

Inputs are chosen so each catalogued mistake shows and differs from every
other one: T != S, several heads with T, H and Dh all different (so a wrong
permute gives a wrong shape), padding in the middle of a batch with different
lengths per sequence, a pad id other than 0 next to real tokens with id 0,
left padding, random per-head masks, a fully masked query row, and
cross-attention whose key and value are different tensors.

Tolerances were measured by ``tests/grader/checks/catalogue/test_attention.py``
(``python -m tests.grader.checks.catalogue.test_attention``): the largest error of a
bank of correct float32 implementations against the float64 reference over 200 seeds,
visible and hidden cases, outputs and gradients. Each harness's tolerance is about ten
times that figure.
"""
