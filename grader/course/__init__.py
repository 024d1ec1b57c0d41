"""Building and releasing the course: the nbgrader course folder, its lessons'
source folders (notebook, student kit, fixtures, blocks), the release to students
and the committed ``lessons/``, the demo's sample submissions and the import of
submissions. Layer: above :mod:`grader.checks`, below :mod:`grader.autograde`
(see ``docs/architecture.md``)."""
