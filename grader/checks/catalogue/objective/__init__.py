"""Lesson 07, the training objective: references and the catalogue of common mistakes
(trusted; never shipped).

The loss references are ``reference.objectives`` (with the students' signatures);
``train_step``'s is ``reference.training.train_step_loss``. Each mistake is a complete
wrong implementation with the student's signature that makes exactly one mistake, so the
tests can run it like a student's code.

One file per exercise, named by it (as the harnesses, ``grader.labkit.exercises.objective``),
each defining ``ENTRY``: the reference, the catalogued mistakes and the points.

- :mod:`.sequence_log_prob`, :mod:`.dataset_nll`, :mod:`.causal_lm_loss`: the losses;
- :mod:`.train_step`: the training iteration;
- :mod:`.questions`: ``ENTRIES``, the three short questions;
- :mod:`._common`: the lesson id and the pieces the loss mistakes share.
"""
