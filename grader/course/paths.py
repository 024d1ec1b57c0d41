"""Where things are: the project's folders, and the names of the files and folders
of a course directory (nbgrader's layout; see :mod:`grader.course.directory`)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS_DIR = PROJECT_ROOT / "solutions"
LESSONS_DIR = PROJECT_ROOT / "lessons"
DEFAULT_COURSE_DIR = PROJECT_ROOT / "build" / "course"
#: The course's grading pipeline, copied to ``<course>/lab_config.py`` on every build.
LAB_CONFIG_TEMPLATE = Path(__file__).resolve().parent / "lab_config.py"
LABKIT_DIR = Path(__file__).resolve().parents[1] / "labkit"

COURSE_ID = "pretraining-lab"
#: The instructor's nbgrader configuration: written once by the first build, never again.
CONFIG_FILE = "nbgrader_config.py"
#: The project's configuration that ``CONFIG_FILE`` loads; refreshed by every build.
LAB_CONFIG_FILE = "lab_config.py"
SECRET_FILE = ".lab_secret"
VERDICTS_DIR = "lab_verdicts"
#: Prefix of the grade_id of an exercise's test cell (``check_<exercise>``); the one
#: source of ``HiddenVerdicts.check_prefix``'s default.
CHECK_PREFIX = "check_"
FIXTURES_FILE = "fixtures.pt"
#: The log level of nbgrader's converters (the CLI's --verbose sets "INFO").
LOG_LEVEL = "ERROR"
#: Files of a solutions folder that never go into the course: the sample mistakes, the
#: blocks listing, what running the notebook in place leaves, and the links to the
#: lesson's kit, blocks and fixtures that let an instructor run it there (the build
#: writes those afresh; see grader/course/author.py).
NOT_SHIPPED = ("mistakes", "blocks.txt", "__pycache__", ".ipynb_checkpoints", "*.pyc",
               ".lab_evidence", ".lab_seed.json", "labkit", "blocks", "fixtures.pt")
BLOCKS_FILE = "blocks.txt"
