"""Lesson 03 (the Transformer encoder): what is specific to this lesson, one file per
exercise (banks of correct alternatives, extra wrong answers, tolerance margins) and
``test_lesson.py`` (the notebook, its sample mistakes, the fixtures). What holds for
every exercise is checked by ``tests/grader/checks/test_contract.py``.

``python -m tests.grader.checks.catalogue.transformer_encoder [seeds]`` measures the
tolerances: the largest error of the banks of correct float32 implementations against
the float64 reference, over many seeds.
"""
