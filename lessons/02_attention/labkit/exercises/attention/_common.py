"""What the lesson 02 harnesses share: the lesson id, random inputs, and the mixin that
names a catalogued mistake in the failures ``compare`` leaves unnamed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, GRAD_PREFIX, Mistake, Verdict
from ...harness import Case

LESSON = "02_attention"


def randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    """A float64 tensor of ``shape`` from N(0, scale^2)."""
    return torch.randn(*shape, generator=gen, dtype=torch.float64) * scale


def lengths_of(gen: torch.Generator, b: int, s: int) -> torch.Tensor:
    """(B,) distinct-enough lengths: the first sequence is full, the others padded."""
    lengths = torch.randint(2, s, (b,), generator=gen)
    lengths[0] = s
    return lengths


def _same_kind(g: Any, m: Any) -> bool:
    """Same failure at the type layer: both bool or both numbers, same shape, same values
    (a 0/1 mask as int64, int32 or float is one mistake)."""
    if type(g) is not torch.Tensor or type(m) is not torch.Tensor or g.shape != m.shape:
        return False
    if (g.dtype == torch.bool) != (m.dtype == torch.bool):
        return False
    return bool(torch.equal(g.double(), m.double()))


class NamesFailures:
    """Mixin: name a catalogued mistake in the failures ``compare`` leaves unnamed.

    * an error matches a mistake that raised exactly the same message on the same case;
    * a wrong dtype matches a mistake with the same values (numbers for bools, say);
    * a missing gradient (a parameter or input the code never used) is reported as
      the values' mistake when the values match one: forgetting ``out_proj`` is
      better told as such than as "the graph is cut".

    Where the outputs are the inputs rearranged (``outputs_reveal_inputs``), a
    hidden case's feedback keeps the max error and its index but not the values.
    """

    outputs_reveal_inputs = False

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        verdict = self._named(got, expected, mistakes, case, hidden=hidden)
        if hidden and self.outputs_reveal_inputs and not verdict.passed:
            lines = [ln for ln in verdict.feedback.splitlines()
                     if not ln.startswith(("  expected ", "  got "))]
            verdict = Verdict(False, "\n".join(lines), verdict.mistake, verdict.layer)
        return verdict

    def _named(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
               mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        verdict = super().judge(got, expected, mistakes, case, hidden=hidden)  # type: ignore[misc]
        if verdict.passed or verdict.mistake is not None:
            return verdict
        values = {k: v for k, v in expected.items() if not k.startswith(GRAD_PREFIX)}
        found = None
        if verdict.layer == "error":
            found = next((m for m in mistakes if ERROR_KEY in m.outputs
                          and m.outputs[ERROR_KEY] == got.get(ERROR_KEY)), None)
        elif verdict.layer == "type" and all(type(got.get(k)) is torch.Tensor for k in values):
            found = next((m for m in mistakes if ERROR_KEY not in m.outputs and all(
                _same_kind(got.get(k), m.outputs.get(k)) for k in values)), None)
        elif verdict.layer in ("type", "gradients") and len(values) < len(expected):
            again = super().judge(got, values, mistakes, case, hidden=hidden)  # type: ignore[misc]
            if again.mistake is not None:
                return again
        if found is None:
            return verdict
        return Verdict(False, f"{verdict.feedback}\nHint: {found.hint}", found.id, verdict.layer)
