"""Sample submissions with the exact score each graded cell deserves.

They exercise the whole grading path (``pretraining-lab demo``, the end-to-end
test, the benchmark). Each is made from the released (student) notebook of a lesson
and its source notebook:

``correct``      every solution cell holds the source's solution: full marks;
``empty``        the release as is (stubs raise NotImplementedError): 0 everywhere;
``mistake``      correct except one exercise, taken from
                 ``solutions/<lesson>/mistakes/<name>__<mistake_id>.py`` (the whole
                 solution cell, with that catalogued mistake): 0 on that check;
``warning``      correct, but the student's function prints to stderr and raises a
                 ``UserWarning`` each time it is called: full marks (a warning never
                 costs points);
``edited_test``  a wrong answer, and the check below it replaced by ``pass``: the
                 test cell is restored and scores 0;
``tampered_tests`` a wrong answer whose test cell was deleted (restored: 0), and a
                 correct answer whose test cell was duplicated, the original moved to
                 the top of the notebook (scored once, full points);
``monkeypatch``  wrong answers plus an added cell that disables ``labkit.check`` and
                 ``labkit.record``, patches ``torch.allclose``/``torch.equal``/
                 ``Tensor.__eq__``, and writes fake evidence (zeros, and a pickle that
                 would run code): 0 everywhere.

What a mistake breaks besides its own check is decided, not guessed: an exercise
whose solution uses the mistaken one (its name appears in that solution cell,
directly or through another exercise) deserves what the trusted checker says of it
when called directly, in a separate process, on the sample's own code
(``grader.check`` on the visible cases and on the hidden cases of the student's
seed): no kernel, no evidence, no nbgrader. A mistake file may also state it with
comment lines ``# sample-expect: check_<name>=<points>``, which win.

The modules, bottom to top:

- :mod:`.sample`: :class:`~.sample.Sample` (one submission and its expected
  points), the kinds and the cell-name prefixes;
- :mod:`.notebook_cells`: reading and filling the cells of a notebook;
- :mod:`.mistakes`: the mistake files and the exercises a mistake can break;
- :mod:`.trusted`: the trusted checker's verdicts, run in a separate process;
- :mod:`.lesson`: what every kind of sample is made from, for one lesson;
- :mod:`.kinds`: one maker per kind of sample;
- :mod:`.make`: :func:`~.make.make_samples` and :func:`~.make.lesson_samples`.
"""
