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

from importlib import import_module
from typing import Any

#: Each public name and the module that defines it.
_MODULES = {"CheckResult": "grader.checks.engine", "check": "grader.checks.engine",
            "verify": "grader.checks.engine", "list_exercises": "grader.checks.registry"}

__all__ = ["CheckResult", "check", "list_exercises", "verify"]


def __getattr__(name: str) -> Any:
    """``name`` of the entry point, imported from its module on first use."""
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_MODULES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
