"""What the lesson 04 harnesses share: the lesson id, the course tokenizer's special
ids, random inputs and padding, and the mixin that names the mistakes the layered
comparison leaves unnamed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, GRAD_PREFIX, Mistake, Verdict, matching_mistake
from ...harness import Case

LESSON = "04_transformer_decoder"
#: The course tokenizer's ids: [PAD] 0, <s> 5, </s> 6; ids 0..14 are special.
PAD_ID, BOS_ID, EOS_ID = 0, 5, 6
NUM_SPECIAL = 15


def randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    """Standard normal float64 values times ``scale``."""
    return torch.randn(*shape, generator=gen, dtype=torch.float64) * scale


def randint(gen: torch.Generator, low: int, high: int) -> int:
    """An int in [low, high)."""
    return int(torch.randint(low, high, (1,), generator=gen))


def lengths_of_rows(gen: torch.Generator, b: int, t: int) -> torch.Tensor:
    """Row lengths: row 0 is full, row 1 the shortest (>= 2) so padding sits in the
    middle of the batch, the others in between."""
    lengths = torch.randint(2, t, (b,), generator=gen)
    lengths[0], lengths[1] = t, 2
    return lengths


def key_mask(lengths: torch.Tensor, t: int) -> torch.Tensor:
    """``(B, T)`` bool, True at the first ``lengths[b]`` positions of row b (real tokens)."""
    return torch.arange(t)[None, :] < lengths[:, None]  # (B, T), True = real token


def _same_values(g: Any, m: Any) -> bool:
    """Same failure at the type layer: same shape, same kind of dtype, same values."""
    if type(g) is not torch.Tensor or type(m) is not torch.Tensor or g.shape != m.shape:
        return False
    if g.is_floating_point() != m.is_floating_point() or (g.dtype == torch.bool) != (m.dtype == torch.bool):
        return False
    return bool(torch.equal(g.double(), m.double()))


class Diagnoses:
    """Mixin: name a catalogued mistake in the failures the layered comparison leaves unnamed.

    * an error matches a mistake that raised exactly the same error on the same case
      (keys and values taken from the decoder make the memory mask fail to broadcast);
    * a wrong dtype matches a mistake with the same values in another dtype;
    * a missing gradient (a sub-module forward never used, e.g. norm2 when one norm is
      shared) is judged on the values first, which name the mistake.
    """

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        values = {k: v for k, v in expected.items() if not k.startswith(GRAD_PREFIX)}
        unused = [k for k in expected if k.startswith(GRAD_PREFIX) and got.get(k) is None]
        if unused and ERROR_KEY not in got and len(values) < len(expected):
            verdict = super().judge(got, values, mistakes, case, hidden=hidden)  # type: ignore[misc]
            if not verdict.passed:
                return verdict
        verdict = super().judge(got, expected, mistakes, case, hidden=hidden)  # type: ignore[misc]
        if verdict.passed:
            return verdict
        if verdict.layer == "shape":
            # Several mistakes can give the same wrong shape (greedy decoding that never stops,
            # or stops on another condition, runs to max_len): prefer one that matches exactly.
            exact = matching_mistake(got, mistakes, list(values), self.tolerance)  # type: ignore[attr-defined]
            if exact is not None and exact.id != verdict.mistake:
                lines = [ln for ln in verdict.feedback.splitlines() if not ln.startswith("Hint: ")]
                return Verdict(False, "\n".join([*lines, f"Hint: {exact.hint}"]), exact.id, "shape")
        if verdict.mistake is not None:
            return verdict
        found = _mistake_of_same_failure(got, values, mistakes, verdict.layer)
        if found is None:
            return verdict
        return Verdict(False, f"{verdict.feedback}\nHint: {found.hint}", found.id, verdict.layer)


def _mistake_of_same_failure(got: Mapping[str, Any], values: Mapping[str, torch.Tensor],
                             mistakes: list[Mistake], layer: str) -> Mistake | None:
    """The mistake that raised the same error, or (at the type layer) that returned the
    same values in another dtype; None when there is none."""
    if layer == "error":
        return next((m for m in mistakes if ERROR_KEY in m.outputs
                     and m.outputs[ERROR_KEY] == got.get(ERROR_KEY)), None)
    if layer == "type":
        return next((m for m in mistakes if ERROR_KEY not in m.outputs and values and all(
            _same_values(got.get(k), m.outputs.get(k)) for k in values)), None)
    return None
