"""Pretraining Lab's grader: exercise checks, the trusted verifier, nbgrader glue and the CLI.

The programmatic entry point (docs/exercise-contract.md)::

    import grader
    grader.list_exercises()          # ["02_attention/scaled_dot_product_attention", ...]
    result = grader.check("02_attention/scaled_dot_product_attention", my_fn)
    result.passed, result.feedback, result.mistake
"""

from grader.checks.engine import CheckResult, check, verify
from grader.checks.registry import list_exercises

__all__ = ["CheckResult", "check", "list_exercises", "verify"]
