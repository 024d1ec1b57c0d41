"""Short conceptual answers ("an encoder reads 15 tokens with hidden size 768:
what shape comes out?") checked like any other exercise.

Answers are normalised to a canonical string. A released lesson ships only a
salted SHA-256 of the right answer (and of catalogued wrong ones), so the
notebook can say "right" or name the misconception without printing the answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import torch

from .compare import ERROR_KEY, Mistake, Verdict
from .harness import Case, Harness


def answer_digest(exercise_id: str, canonical: str) -> str:
    return hashlib.sha256(f"{exercise_id}|{canonical}".encode()).hexdigest()


class AnswerHarness(Harness):
    """A question whose answer is a value. ``kind`` is one of "shape" (tuple of
    ints), "choice" (one letter), "int", "number" (rounded to 3 significant
    digits), "bool" or "text" (lower-cased, spaces collapsed)."""

    kind: str = "text"
    question: str = ""

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        return [Case("answer", self.question)]

    def canonical(self, value: Any) -> str:
        if value is ... or value is None:
            raise NotImplementedError("no answer given yet (replace the ... with your answer)")
        if self.kind == "shape":
            if isinstance(value, torch.Size):
                value = tuple(value)
            if not isinstance(value, (tuple, list)) or not all(isinstance(v, int) for v in value):
                raise TypeError(f"expected a tuple of ints such as (2, 3), got {value!r}")
            return json.dumps([int(v) for v in value])
        if self.kind == "choice":
            if not isinstance(value, str) or len(value.strip()) != 1:
                raise TypeError(f"expected one letter such as 'b', got {value!r}")
            return value.strip().lower()
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"expected an int, got {value!r}")
            return str(value)
        if self.kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"expected a number, got {value!r}")
            return f"{float(value):.3g}"
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise TypeError(f"expected True or False, got {value!r}")
            return str(value)
        if not isinstance(value, str):
            raise TypeError(f"expected a str, got {value!r}")
        return " ".join(value.lower().split())

    def run(self, candidate: Any, case: Case, dtype: torch.dtype = torch.float32) -> dict[str, Any]:
        try:
            canonical = self.canonical(candidate)
        except Exception as exc:  # noqa: BLE001 - reported as the verdict
            return {ERROR_KEY: f"{type(exc).__name__}: {exc}"}
        return {"digest": answer_digest(self.exercise_id, canonical)}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        context = f"your answer to '{self.name}'"
        if ERROR_KEY in got:
            err = str(got[ERROR_KEY])
            mid = "not_implemented" if err.startswith("NotImplementedError") else None
            return Verdict(False, f"FAILED (type) {context}: {err}", mid, "type")
        if got.get("digest") == expected.get("digest"):
            return Verdict(True, f"passed: {context}")
        for m in mistakes:
            if got.get("digest") == m.outputs.get("digest"):
                return Verdict(False, f"FAILED (values) {context} is not right.\nHint: {m.hint}",
                               m.id, "values")
        return Verdict(False, f"FAILED (values) {context} is not right; re-read the section "
                       "above and try again.", None, "values")
