"""Fixtures: the visible cases of a lesson with the reference's outputs and
each catalogued mistake's outputs, saved as plain tensors beside the released
notebook (``fixtures.pt``). ``pretraining-lab fixtures`` regenerates them; a
test fails when the committed ones are stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .engine import cases_for, expected_and_mistakes
from .registry import exercises


def build_fixtures(lesson: str) -> dict[str, Any]:
    """The fixtures of one lesson, as a dict of plain data."""
    out: dict[str, Any] = {"lesson": lesson, "exercises": {}}
    for ex in exercises().values():
        if ex.lesson != lesson:
            continue
        cases = cases_for(ex, hidden=False, seed=None)
        entry: dict[str, list[Any]] = {"cases": [], "expected": [], "mistakes": []}
        for case in cases:
            expected, mistakes = expected_and_mistakes(ex, case)
            entry["cases"].append(case.to_data())
            entry["expected"].append(_plain(expected))
            entry["mistakes"].append([{"id": m.id, "hint": m.hint, "outputs": _plain(m.outputs)}
                                      for m in mistakes])
        out["exercises"][ex.name] = entry
    if not out["exercises"]:
        raise ValueError(f"no exercises for lesson {lesson!r}")
    return out


def _plain(outputs: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.float() if isinstance(v, torch.Tensor) and v.is_floating_point() else v)
            for k, v in outputs.items() if isinstance(v, (torch.Tensor, str, int, float))}


def write_fixtures(lesson: str, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(build_fixtures(lesson), path)
    return path
