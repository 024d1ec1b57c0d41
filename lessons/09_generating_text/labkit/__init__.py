"""labkit: the student-side half of Pretraining Lab's checks.

It ships inside every released lesson folder and needs only torch. It holds
no solutions: harnesses build inputs and call code, ``compare`` judges plain
data, and the expected outputs come from fixtures (visible checks) or are
recomputed by the trusted grader (hidden checks). Only relative imports are
used, so the same code is ``grader.labkit`` in the project and ``labkit`` in
a lesson folder.
"""

from .notebook import CheckFailed, check, record

__all__ = ["CheckFailed", "check", "record"]
