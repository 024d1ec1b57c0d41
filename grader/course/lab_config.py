"""The grading pipeline of a Pretraining Lab course (nbgrader configuration).

``pretraining-lab build`` copies this file (``grader/course/lab_config.py`` in the project)
into the course root as ``lab_config.py`` on every build: edit the project's file, never the
copy. The course's own ``nbgrader_config.py``, which the build writes once and then leaves to
the instructor, loads it first, so both ``pretraining-lab`` and nbgrader's own commands
(``nbgrader autograde``, formgrader, ...) get it, and a setting the instructor makes there
wins. It extends nbgrader through configuration only: the pipelines below are nbgrader's,
with the course's preprocessors (``grader.autograde.preprocessors``) inserted where they
must run.
"""

import os

# The preprocessors are named by their import paths, not imported: nbgrader imports each
# when it runs that step, so loading the configuration stays light (formgrader, a student's
# `nbgrader validate`) and the configuration serialises (formgrader's config panel).
NBCONVERT = "nbconvert.preprocessors."
NBGRADER = "nbgrader.preprocessors."
LAB = "grader.autograde.preprocessors."

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "pretraining-lab"
# Files never copied between source/, submitted/, autograded/ and feedback/:
# nbgrader's defaults, and what a kernel leaves behind (evidence, seed file).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            ".lab_evidence", ".lab_seed.json"]

# Where the trusted files are: the course secret (.lab_secret), from which each
# student's hidden-test seed is derived, and the verdict logs (lab_verdicts/).
c.LabPreprocessor.course_root = COURSE_ROOT

# --- autograde: sanitize (nbgrader's list, one step added) ------------------------------
c.Autograde.sanitize_preprocessors = [
    # Refuses unless `pretraining-lab autograde` runs it in its private copy of the course:
    # nbgrader's own autograde (Formgrader's button) would grade with the submission's files.
    LAB + "RequirePrivateCopy",
    NBGRADER + "ClearOutput",
    # Keeps only the last cell of a duplicated grade id (the others lose their grade
    # metadata): no cell is scored twice.
    NBGRADER + "DeduplicateIds",
    # Those demoted duplicates, and cells with made-up grade ids, become plain cells;
    # nbgrader 0.9.6 would otherwise fail the whole submission on them.
    LAB + "DropStrayMetadata",
    # A cell keeping a known grade id gets its grade/solution/lock flags and points back
    # as released (a test cell re-tagged as a solution would otherwise fail the whole
    # submission in OverwriteCells: "Inconsistent checksums").
    LAB + "RestoreCellFlags",
    NBGRADER + "OverwriteKernelspec",
    # Restores edited locked cells (every test cell) from the gradebook by checksum,
    # which brings back their hidden part, and, with this option, puts deleted test
    # cells back.
    NBGRADER + "OverwriteCells",
    NBGRADER + "CheckCellMetadata",
]
c.OverwriteCells.add_missing_cells = True

# --- autograde: execute and score -------------------------------------------------------
c.Autograde.autograde_preprocessors = [
    # Before the kernel runs: write .lab_seed.json (this student's seed) into the
    # notebook's folder and delete any .lab_evidence/ the submission brought along.
    LAB + "PrepareEvidence",
    # Lists the cells that are unchanged display-only cells of the source notebook
    # (plots, widgets, demo training runs); SafeExecute leaves them unrun. They score
    # nothing and define nothing a graded cell reads (checked at build). Must run
    # after the sanitize steps (which restore locked cells) and before SafeExecute.
    LAB + "SkipDisplayCells",
    # nbgrader's Execute in the sandbox (grader/autograde/sandbox.py); hidden parts of test cells
    # record plain-tensor evidence. A hang, crash or output flood costs only the cells
    # it reaches, with the reason in the cell and the verdict log.
    LAB + "SafeExecute",
    # nbgrader's stderr filter (off unless IgnorePattern.pattern is set).
    NBGRADER + "IgnorePattern",
    # stderr -> prefixed stdout: a warning never zeroes a cell (nbgrader #1904).
    LAB + "RescueStderr",
    # In this process, not the kernel: judge each test cell's evidence and REPLACE
    # its outputs with the verdict (error output -> 0 points, else full points);
    # must run after Execute and before SaveAutoGrades.
    LAB + "HiddenVerdicts",
    # The faults SafeExecute met, in plain words, at the top of the autograded notebook,
    # so the student's feedback says why (a test cell's own outputs are its verdict).
    LAB + "FaultNotice",
    # nbgrader's defaults from here on; SaveAutoGrades scores the verdicts.
    NBCONVERT + "ClearMetadataPreprocessor",
    NBGRADER + "LimitOutput",
    NBGRADER + "SaveAutoGrades",
    NBGRADER + "AssignLatePenalties",
    NBGRADER + "CheckCellMetadata",
]

# Per-cell time limit. Lessons keep training short under autograde
# (NBGRADER_EXECUTION=autograde); a cell that runs past it is interrupted and
# scores 0, and the notebook goes on. Kernel start-up is allowed a little longer
# than nbclient's default because importing torch is slow on a loaded machine.
c.Execute.timeout = 60
c.Execute.startup_timeout = 120
c.Execute.interrupt_on_timeout = True
# The kernel's own log (e.g. ipykernel's note about unencrypted TCP on loopback) is
# not the student's output; keep it off the grader's terminal.
c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]
# The course's own limits are traitlets of SafeExecute
# (grader/autograde/preprocessors/safe_execute.py) and Sandbox (grader/autograde/sandbox.py),
# each with its default and help text in that one place (the README's *Grading safely*
# lists them); set one in the course's nbgrader_config.py to change it for that course, e.g.
#   c.SafeExecute.notebook_timeout = 1800   # the whole notebook, kernel start included, s
# SafeExecute: notebook_timeout, cell_output_bytes.
# Sandbox (bubblewrap: no network, only the Python environment, read-only, and the
# student's own lesson folder, as an unprivileged uid of its own; `pretraining-lab
# autograde` refuses where it cannot start, unless given --unsafe-no-sandbox, which is
# never set here): memory, memory_total, cgroup, cpu_time, processes, file_size,
# open_files, tmp_size, folder_size, evidence_size, uid_base, slots, gid, threads,
# read_only, extra_env.

# --- feedback ---------------------------------------------------------------------------
# GetGrades -> StripHiddenTests -> CSSHTMLHeaderPreprocessor: the feedback shows each
# verdict and the student's own code, never hidden-test code or hidden inputs.
c.GenerateFeedback.preprocessors = [NBGRADER + "GetGrades", LAB + "StripHiddenTests",
                                     NBCONVERT + "CSSHTMLHeaderPreprocessor"]

# --- math in the feedback and in Formgrader ---------------------------------------------
# nbgrader's HTML templates leave $...$ to MathJax, loaded from a CDN: offline the formulas
# show as raw TeX. MathToMathML turns the math of markdown cells into MathML, which browsers
# render themselves. Set on the HTML exporter, it reaches both pages that make HTML:
# GenerateFeedback's exporter (which runs this list first, then GenerateFeedback's own list
# above: once per notebook) and Formgrader's submission view (its server creates
# HTMLExporter(config=...) with this course's configuration). It imports neither torch nor
# the grader's checks, so Formgrader's server stays light.
c.HTMLExporter.preprocessors = [LAB + "MathToMathML"]
