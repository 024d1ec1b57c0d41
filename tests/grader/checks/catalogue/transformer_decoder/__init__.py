"""Lesson 04 (the Transformer decoder): what is specific to this lesson, one file per
exercise (banks of correct alternatives, extra wrong answers, tolerance margins, the
stand-in model of greedy decoding) and ``test_lesson.py`` (the notebook, its sample
mistakes, its blocks, the fixtures). What holds for every exercise is checked by
``tests/grader/checks/test_contract.py``.

The banks are the ways students write these exercises correctly: masks from ``tril``,
from comparing positions or from a loop; a decoder layer on the provided
``MultiHeadAttention``, on attention written by hand (einsum, ``-inf`` fill) or on
``F.scaled_dot_product_attention``; probabilities from ``softmax``, from ``exp`` of
``log_softmax`` or by hand; greedy decoding batched, row by row, through ``model(...)``
or ``inference_mode``.

``python -m tests.grader.checks.catalogue.transformer_decoder [SEEDS]`` measures the
float32 error of the banks against the float64 reference, the figure quoted beside
each harness's tolerance.
"""
