"""Banks of realistic wrong answers, one module per lesson (named by the lesson's folder,
e.g. ``attention.py``), each defining ``WRONG``: a list of
``(exercise name, candidate, expected mistake id or None)``. Written from the notebooks'
specs, as students get things wrong, not from the catalogue: the test measures how many
of them the checker names, and that it never names a mistake an answer did not make."""
