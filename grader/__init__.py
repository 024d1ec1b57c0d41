"""Pretraining Lab's grader: exercise checks, the trusted verifier, nbgrader glue and the CLI.

The programmatic entry point (docs/exercise-contract.md)::

    import grader
    grader.list_exercises()          # ["02_attention/scaled_dot_product_attention", ...]
    result = grader.check("02_attention/scaled_dot_product_attention", my_fn)
    result.passed, result.feedback, result.mistake

These names are imported on first use (PEP 562), so importing a light part of the grader
(``grader.course.paths``, a preprocessor that Formgrader's server loads) does not import
the checks and torch.
"""

from __future__ import annotations

from grader.lazy import lazy_exports

#: Each public name and the module that defines it.
_MODULES = {"CheckResult": "grader.checks.engine", "check": "grader.checks.engine",
            "verify": "grader.checks.engine", "list_exercises": "grader.checks.registry"}

__all__ = ["CheckResult", "check", "list_exercises", "verify"]

__getattr__, __dir__ = lazy_exports(__name__, _MODULES)
