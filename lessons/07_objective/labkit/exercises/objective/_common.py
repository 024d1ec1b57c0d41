"""What lesson 07's harnesses share: the lesson id, the case-building helpers and the
``_NamesErrors`` judge of the three loss harnesses.

The loss cases are chosen so that each catalogued mistake shows and differs from every
other one: logits with a different offset at every position (so raw logits are not
log-probabilities), T != V, ragged lengths with ignored positions in the middle of a row
as well as at its end, an ``ignore_index`` / ``pad_id`` other than the default next to
real tokens with id 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, Mistake, Verdict
from ...harness import Case

LESSON = "07_objective"
IGNORE_INDEX = -100


def _randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(shape, generator=gen, dtype=torch.float64) * scale


def _logits(gen: torch.Generator, b: int, t: int, v: int) -> torch.Tensor:
    """Scores with a different offset at every position: raw logits are far from log-probabilities."""
    return _randn(gen, b, t, v, scale=1.5) + _randn(gen, b, t, 1, scale=3.0)


def _lengths(gen: torch.Generator, b: int, t: int, low: int = 2) -> torch.Tensor:
    """Distinct lengths: row 0 is full, the others shorter (the last one the shortest)."""
    lengths = torch.randint(low, t, (b,), generator=gen)
    lengths[0] = t
    lengths[-1] = low
    return lengths


def _ids(gen: torch.Generator, b: int, t: int, low: int, high: int) -> torch.Tensor:
    return torch.randint(low, high, (b, t), generator=gen)


class _NamesErrors:
    """Mixin: an error matches a catalogued mistake that raised exactly the same message on
    the same case (e.g. indexing with -100); an unnamed wrong value gets a general hint."""

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        verdict = super().judge(got, expected, mistakes, case, hidden=hidden)  # type: ignore[misc]
        if verdict.passed or verdict.mistake is not None:
            return verdict
        if verdict.layer == "error":
            found = next((m for m in mistakes if ERROR_KEY in m.outputs
                          and m.outputs[ERROR_KEY] == got.get(ERROR_KEY)), None)
            if found is not None:
                return Verdict(False, f"{verdict.feedback}\nHint: {found.hint}", found.id, verdict.layer)
        elif verdict.layer == "values":
            note = self.general_hint(got, case)
            if note:
                return Verdict(False, f"{verdict.feedback}\nHint: {note}", None, verdict.layer)
        return verdict

    def general_hint(self, got: Mapping[str, Any], case: Case) -> str | None:
        return None
