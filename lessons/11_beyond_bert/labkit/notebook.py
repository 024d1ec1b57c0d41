"""The helpers a lesson notebook calls: thin wrappers that raise on failure.

* ``check(name, candidate)``: the visible check, right after an exercise; it
  compares against the fixtures shipped with the lesson and raises
  ``CheckFailed`` (an ``AssertionError``) with the feedback, or prints one line.
* ``record(name, candidate)``: used by hidden test cells at autograde; it runs
  the candidate on inputs built from the grader's seed and saves plain tensors
  as evidence. It decides nothing: the grader does, in its own process.
"""

from __future__ import annotations

import os
import textwrap
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from .compare import Mistake
from .evidence import VISIBLE_SEED, read_seed, write_evidence
from .exercises import harness
from .harness import Case, Harness, derive_seed, generator

FIXTURES_FILE = "fixtures.pt"


#: The widest line a failed check shows (nbgrader's Validate dialog fits about 110).
WRAP = 96


class CheckFailed(AssertionError):
    """A visible check failed; the message is the feedback."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the feedback alone, lines over
        ``WRAP`` characters wrapped. The frames would be the kit's own
        (``labkit/notebook.py``), never the student's code, and nbgrader's Validate dialog
        clips long lines instead of wrapping them."""
        first, *rest = str(self).splitlines() or [""]
        out = []
        for line in [f"{type(self).__name__}: {first}", *rest]:
            lead = line[:len(line) - len(line.lstrip())]
            out += textwrap.wrap(line.strip(), WRAP, initial_indent=lead,
                                 subsequent_indent=lead + "    ", break_long_words=False,
                                 break_on_hyphens=False) or [line]
        return out


@lru_cache(maxsize=4)
def _load_fixtures(path: str) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=True)


def fixtures_path() -> Path:
    # The lesson folder holds labkit/ and fixtures.pt side by side.
    return Path(__file__).resolve().parent.parent / FIXTURES_FILE


def check(name: str, candidate: Any) -> None:
    """Run the visible checks of exercise ``name`` on ``candidate``."""
    fixtures = _load_fixtures(str(fixtures_path()))
    lesson = fixtures["lesson"]
    if name not in fixtures["exercises"]:
        raise ValueError(f"no exercise {name!r} in lesson {lesson}; "
                         f"expected one of {sorted(fixtures['exercises'])}")
    h = harness(f"{lesson}/{name}")
    entry = fixtures["exercises"][name]
    for case_data, expected, mistakes in zip(entry["cases"], entry["expected"], entry["mistakes"], strict=True):
        case = Case.from_data(case_data)
        got = h.run(candidate, case)
        verdict = h.judge(got, expected, [Mistake(**m) for m in mistakes], case, hidden=False)
        if not verdict.passed:
            raise CheckFailed(verdict.feedback)
    print(f"\u2713 {name}: all {len(entry['cases'])} visible checks passed")


def record(name: str, candidate: Any, lesson: str | None = None) -> None:
    """Save ``candidate``'s outputs on the visible and hidden cases as evidence
    for the grader, which judges them in its own process."""
    if lesson is None:
        lesson = _load_fixtures(str(fixtures_path()))["lesson"]
    h = harness(f"{lesson}/{name}")
    write_evidence(os.getcwd(), name, {key: h.run(candidate, case)
                                       for key, case in evidence_cases(h, read_seed(os.getcwd()))})


def evidence_cases(h: Harness, seed: int) -> list[tuple[str, Case]]:
    """The cases a hidden test cell records: the visible ones and the hidden
    ones built from ``seed``, keyed "visible:<case>" and "hidden:<case>"."""
    visible = h.cases(generator(derive_seed(VISIBLE_SEED, h.exercise_id)), hidden=False)
    hidden = h.cases(generator(derive_seed(seed, h.exercise_id)), hidden=True)
    return [(f"visible:{c.name}", c) for c in visible] + [(f"hidden:{c.name}", c) for c in hidden]
