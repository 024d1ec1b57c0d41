"""Short conceptual answers ("an encoder reads 15 tokens with hidden size 768:
what shape comes out?") checked like any other exercise.

Answers are normalised to a canonical string. A released lesson ships only a
salted SHA-256 of the right answer (and of catalogued wrong ones), so the
notebook can say "right" or name the misconception without printing the answer.
"""

from __future__ import annotations

import hashlib
import json
import numbers
from collections.abc import Mapping
from typing import Any

import torch

from .compare import ERROR_KEY, Mistake, Verdict
from .harness import Case, Harness


def answer_digest(exercise_id: str, canonical: str) -> str:
    return hashlib.sha256(f"{exercise_id}|{canonical}".encode()).hexdigest()


def _scalar(value: Any) -> Any:
    """A plain Python value from a 0-d tensor or a numpy scalar (``.item()``); anything
    else as it is. Duck-typed, so the kit needs no numpy."""
    if isinstance(value, torch.Tensor):
        return value.item() if value.dim() == 0 else value
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        return value.item()
    return value


def _integral(value: Any) -> int | None:
    """``value`` as an int when it is a whole number of any kind (3, 3.0, numpy's or
    torch's integers); None otherwise. Booleans are not numbers here."""
    v = _scalar(value)
    if isinstance(v, bool):
        return None
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None


class AnswerHarness(Harness):
    """A question whose answer is a value. ``kind`` is one of "shape" (tuple of
    ints), "choice" (one letter), "int", "number" (rounded to 3 significant
    digits), "bool" or "text" (lower-cased, spaces collapsed)."""

    kind: str = "text"
    question: str = ""

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        return [Case("answer", self.question)]

    def canonical(self, value: Any) -> str:
        """The answer as a canonical string. A right answer counts in any form a student
        may compute it in: numpy scalars and 0-d tensors for numbers, any sequence of
        integral values for a shape, an integral float for a count, a letter in either
        case with spaces around it."""
        if value is ... or value is None:
            raise NotImplementedError("no answer given yet (replace the ... with your answer)")
        return getattr(self, f"_canonical_{self.kind}")(value)

    def _canonical_shape(self, value: Any) -> str:
        items = value.tolist() if hasattr(value, "tolist") and not isinstance(value, list) \
            else value
        if isinstance(items, (tuple, list, torch.Size)):
            dims = [_integral(v) for v in items]
            if all(d is not None for d in dims):
                return json.dumps(dims)
        raise TypeError(f"expected a tuple of ints such as (2, 3), got {value!r}")

    def _canonical_choice(self, value: Any) -> str:
        if not isinstance(value, str) or len(value.strip()) != 1:
            raise TypeError(f"expected one letter such as 'b', got {value!r}")
        return value.strip().lower()

    def _canonical_int(self, value: Any) -> str:
        count = _integral(value)
        if count is None:
            raise TypeError(f"expected a whole number such as 3, got {value!r}")
        return str(count)

    def _canonical_number(self, value: Any) -> str:
        number = _scalar(value)
        if isinstance(number, bool) or not isinstance(number, numbers.Real):
            raise TypeError(f"expected a number, got {value!r}")
        return f"{float(number):.3g}"

    def _canonical_bool(self, value: Any) -> str:
        flag = _scalar(value)
        if not isinstance(flag, bool):
            raise TypeError(f"expected True or False, got {value!r}")
        return str(flag)

    def _canonical_text(self, value: Any) -> str:
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
