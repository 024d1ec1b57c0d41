"""Lesson 01 (sequence-to-sequence with RNNs): what is specific to the lesson, one file per
exercise (its bank of correct alternatives, its tolerance margin, its cases) and
``test_lesson.py`` for the lesson as a whole (questions, notebook, sample mistakes,
fixtures). What holds for every exercise is in ``tests/grader/checks/test_contract.py``.

``python -m tests.grader.checks.catalogue.rnn_seq2seq.measure [seeds]`` measures the
largest error of the float32 banks against the float64 reference, the figure quoted
beside each tolerance.
"""
