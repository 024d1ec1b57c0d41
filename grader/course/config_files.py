"""The course's two configuration files, and why there are two.

``lab_config.py`` is the project's grading pipeline (``grader/course/lab_config.py``): every
build refreshes it, so a course always grades with the project's current preprocessors.
``nbgrader_config.py`` belongs to the instructor: the first build writes it, holding one line
that loads ``lab_config.py`` and room for the course's own settings (nbgrader's exchange,
limits, ...), and no later build touches it again. nbgrader's commands and ``pretraining-lab``
both read ``nbgrader_config.py``, so both get the pipeline and the instructor's settings, the
latter winning.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .paths import CONFIG_FILE, LAB_CONFIG_FILE, LAB_CONFIG_TEMPLATE

#: What marks an ``nbgrader_config.py`` written for this layout.
LOADS_LAB_CONFIG = f'load_subconfig("{LAB_CONFIG_FILE}")'

INSTRUCTOR_CONFIG = f'''"""nbgrader configuration of this Pretraining Lab course: yours to edit.

`pretraining-lab build` wrote this file once and never rewrites it. The grading pipeline
lives in {LAB_CONFIG_FILE} beside it, which every build refreshes (do not edit that one):
it is loaded first, so whatever you set below wins.
"""

import os

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

# traitlets would skip a missing sub-configuration silently, and nbgrader would then grade
# without the course's pipeline (no sandbox, no hidden verdicts): refuse instead.
if not os.path.isfile(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                   "{LAB_CONFIG_FILE}")):
    raise FileNotFoundError("{LAB_CONFIG_FILE} is missing beside nbgrader_config.py: "
                            "run `pretraining-lab build` on this course")
{LOADS_LAB_CONFIG}  # noqa: F821

# --- your settings ------------------------------------------------------------------------
# nbgrader's exchange, where release_assignment puts lessons and students submit (on
# JupyterHub, the folder every user's nbgrader configuration names):
# c.Exchange.root = "/srv/nbgrader/exchange"
# A limit of the sandbox or of execution (each with its default and help text in the
# README's *Grading safely*), e.g.
# c.SafeExecute.notebook_timeout = 1800
'''


def write_course_config(root: Path) -> list[str]:
    """Refresh ``root/lab_config.py``; write ``root/nbgrader_config.py`` if it is missing.

    An ``nbgrader_config.py`` from before this layout (a full copy of the pipeline, which
    does not load ``lab_config.py``) is kept as ``nbgrader_config.py.old`` (or ``.old.N``)
    and replaced. Returns one line per thing the instructor should know.
    """
    shutil.copyfile(LAB_CONFIG_TEMPLATE, root / LAB_CONFIG_FILE)
    path = root / CONFIG_FILE
    notes = []
    if path.is_file() and LOADS_LAB_CONFIG not in path.read_text():
        kept = _free_name(path.with_name(CONFIG_FILE + ".old"))
        path.rename(kept)
        notes.append(f"{path} did not load {LAB_CONFIG_FILE} (a course built by an older "
                     f"version): kept as {kept.name}; copy your own settings from it into "
                     f"the new {CONFIG_FILE}")
    if not path.exists():
        path.write_text(INSTRUCTOR_CONFIG)
    return notes


def _free_name(path: Path) -> Path:
    """``path``, or ``path.N`` for the first N that does not exist yet."""
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{n}")
        n += 1
    return candidate
