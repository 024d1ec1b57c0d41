"""Pretraining Lab's extensions of nbgrader: traitlets-configurable preprocessors,
one per module, wired in by the course's ``nbgrader_config.py``
(which loads ``grader/course/lab_config.py``, copied into every course by ``pretraining-lab build``).

Autograde, per notebook (nbgrader runs two lists):

``Autograde.sanitize_preprocessors`` (nbgrader's, steps added)
    :class:`RequirePrivateCopy` (refuses nbgrader's own autograde: its command and
    Formgrader's button would grade with the files that came with the submission) ->
    ClearOutput -> DeduplicateIds -> :class:`DropStrayMetadata` -> :class:`RestoreCellFlags`
    -> OverwriteKernelspec -> OverwriteCells -> CheckCellMetadata. RestoreCellFlags puts
    re-tagged cells' grade/solution/lock flags back as released, so OverwriteCells can
    restore a test cell turned into a solution cell. A duplicated grade id keeps only its last cell
    (DeduplicateIds), so no cell earns points twice; DropStrayMetadata makes the demoted
    duplicates (and cells with made-up grade ids) plain cells, which nbgrader would
    otherwise crash on. With ``OverwriteCells.add_missing_cells = True``, deleted test
    cells are put back; edited locked cells (test cells) are restored from the
    gradebook by checksum, which also brings back their hidden part.

``Autograde.autograde_preprocessors``
    1. :class:`PrepareEvidence` - before Execute: write ``.lab_seed.json`` (the
       student's hidden-test seed, from the course secret) and delete stale
       ``.lab_evidence/`` that came with the submission;
    2. :class:`SkipDisplayCells` - list the cells that are unchanged display-only cells
       of the source notebook (plots, widgets, demo runs; :mod:`grader.course.display_cells`),
       which the next step leaves unrun: they score nothing and define nothing a
       graded cell reads (checked at build);
    3. :class:`SafeExecute` (nbgrader's ``Execute``, extended through nbclient's hooks, in
       the sandbox of :mod:`grader.autograde.sandbox`, whose lifetime one
       :class:`grader.autograde.session.SandboxSession` owns) - run the notebook in a
       kernel with no network, no view
       of the course, its own uid and resource limits; each restored test cell's
       hidden part records the student's outputs as plain tensors. A hang, a dead
       kernel or an output flood ends or trims this notebook only; the cells not
       reached score 0 with the reason (``resources["lab_faults"]``);
    4. ``IgnorePattern`` (nbgrader; off unless configured) - drop matching stderr;
    5. :class:`RescueStderr` - stderr streams become prefixed stdout, so a warning
       never zeroes a cell;
    6. :class:`HiddenVerdicts` - in this (trusted) process: judge each registered
       test cell's evidence with :func:`grader.checks.engine.verify` and replace the cell's
       outputs with the verdict; write ``lab_verdicts/<lesson>/<student>.json``
       (through :mod:`grader.autograde.verdict_log`, the log's one owner);
    7. :class:`FaultNotice` - the faults of step 3, in plain words, in a markdown cell
       at the top of the autograded notebook, so the student's feedback says why;
    8. ``ClearMetadataPreprocessor``, ``LimitOutput``, ``SaveAutoGrades`` (scores the
       verdicts), ``AssignLatePenalties``, ``CheckCellMetadata`` (nbgrader's).

``GenerateFeedback.preprocessors``
    GetGrades -> :class:`StripHiddenTests` -> CSSHTMLHeaderPreprocessor: the feedback
    shows each verdict but no hidden-test code or inputs.

``HTMLExporter.preprocessors`` (the feedback's exporter and Formgrader's submission view)
    :class:`MathToMathML` - the LaTeX math of markdown cells becomes MathML, which browsers
    render without MathJax's CDN: the feedback and Formgrader show formulas offline. In
    the feedback it runs once, before GenerateFeedback's own list.

Each class is imported when first used (``__getattr__`` below), so loading one step stays
light: :class:`MathToMathML` and :class:`RequirePrivateCopy`, which Formgrader's server
may load, import neither torch nor the grader's checks.
"""

from __future__ import annotations

from ...lazy import lazy_exports

#: Each class and the module that defines it. A class is imported when first asked for
#: (PEP 562), so importing one step does not import the others: Formgrader's server
#: imports MathToMathML (and the Autograde button RequirePrivateCopy) without torch,
#: which HiddenVerdicts and SafeExecute bring along.
_MODULES = {
    "DropStrayMetadata": ".drop_stray_metadata",
    "FaultNotice": ".fault_notice",
    "HiddenVerdicts": ".hidden_verdicts",
    "LabPreprocessor": ".base",
    "MathToMathML": ".math_to_mathml",
    "PrepareEvidence": ".prepare_evidence",
    "RequirePrivateCopy": ".require_private_copy",
    "RescueStderr": ".rescue_stderr",
    "RestoreCellFlags": ".restore_cell_flags",
    "SafeExecute": ".safe_execute",
    "SkipDisplayCells": ".skip_display_cells",
    "StripHiddenTests": ".strip_hidden_tests",
}

__all__ = sorted(_MODULES)

__getattr__, __dir__ = lazy_exports(__name__, _MODULES)
