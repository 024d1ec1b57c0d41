"""What the lesson 03 harnesses share: the lesson id, random inputs and parameters
named as the reference names them, and two mixins (a mistake named from an error;
a class exercise whose parameters are loaded by name).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch

from ...compare import ERROR_KEY, GRAD_PREFIX, Mistake, Verdict
from ...harness import Case, ModuleHarness

LESSON = "03_transformer_encoder"


def randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    """Standard normal float64 values times ``scale``."""
    return torch.randn(*shape, generator=gen, dtype=torch.float64) * scale


def pick(gen: torch.Generator, low: int, high: int) -> int:
    """An int in [low, high]."""
    return int(torch.randint(low, high + 1, (1,), generator=gen))


def padding(gen: torch.Generator, b: int, t: int) -> torch.Tensor:
    """``(B, T)`` bool, True at real tokens: row 0 is full, row 1 (in the middle of
    the batch) the shortest, the others random."""
    lengths = torch.randint(2, t + 1, (b,), generator=gen)
    lengths[0], lengths[1] = t, 2
    return torch.arange(t)[None, :] < lengths[:, None]


def upstream(gen: torch.Generator, b: int, t: int, e: int) -> torch.Tensor:
    """A random upstream gradient scaled by 1/sqrt(B T): a parameter's gradient sums over
    the B T positions, so it stays O(1) like the outputs, and one tolerance fits both."""
    return randn(gen, b, t, e, scale=(b * t) ** -0.5)


def norm_params(gen: torch.Generator, prefix: str, e: int) -> dict[str, torch.Tensor]:
    """A LayerNorm's weight (near 1) and bias, as case inputs ``param:<prefix>.*``."""
    return {f"param:{prefix}.weight": 1 + randn(gen, e, scale=0.2),
            f"param:{prefix}.bias": randn(gen, e, scale=0.2)}


def linear_params(gen: torch.Generator, prefix: str, fan_in: int, fan_out: int
                  ) -> dict[str, torch.Tensor]:
    """An nn.Linear's weight ``(fan_out, fan_in)`` and bias, as case inputs."""
    return {f"param:{prefix}.weight": randn(gen, fan_out, fan_in, scale=fan_in ** -0.5),
            f"param:{prefix}.bias": randn(gen, fan_out, scale=0.2)}


def layer_params(gen: torch.Generator, prefix: str, e: int, f: int) -> dict[str, torch.Tensor]:
    """The parameters of an encoder layer, named as the reference names them."""
    params: dict[str, torch.Tensor] = {}
    for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
        params.update(linear_params(gen, f"{prefix}self_attn.{proj}", e, e))
    params.update(linear_params(gen, f"{prefix}ff.linear1", e, f))
    params.update(linear_params(gen, f"{prefix}ff.linear2", f, e))
    params.update(norm_params(gen, f"{prefix}norm1", e))
    params.update(norm_params(gen, f"{prefix}norm2", e))
    return params


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:4])
    return shown + (f" and {len(names) - 4} more" if len(names) > 4 else "")


class Diagnoses:
    """Mixin: name a catalogued mistake in the failures the plain comparison leaves unnamed.

    * an error that no catalogued mistake raised word for word (those the comparison names)
      matches one of the harness's ``error_patterns`` (regex on the message -> mistake id);
    * when a parameter or input got no gradient (a sub-module that forward never uses,
      or layers sharing one set of weights), the values are compared first: a norm used
      twice is better told as such than as "the graph is cut".
    """

    error_patterns: tuple[tuple[str, str], ...] = ()
    hints: dict[str, str] = {}

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        base = super().judge  # type: ignore[misc]
        if ERROR_KEY in got:
            verdict = base(got, expected, mistakes, case, hidden=hidden)
            if verdict.mistake is not None:
                return verdict
            return self._name_error(verdict, str(got[ERROR_KEY]), mistakes, case)
        if any(k.startswith(GRAD_PREFIX) and got.get(k) is None for k in expected):
            values = {k: v for k, v in expected.items() if not k.startswith(GRAD_PREFIX)}
            verdict = base(got, values, mistakes, case, hidden=hidden)
            if not verdict.passed:
                return verdict
        return base(got, expected, mistakes, case, hidden=hidden)

    def _name_error(self, verdict: Verdict, error: str, mistakes: list[Mistake], case: Case
                    ) -> Verdict:
        # An error a catalogued mistake raised word for word is already named by the
        # comparison (compare.error_verdict); what is left is a pattern of the message.
        mid = self.error_mistake(error, case)
        if mid is None:
            return verdict
        hint = next((m.hint for m in mistakes if m.id == mid), None) or self.hints.get(mid, "")
        return Verdict(False, f"{verdict.feedback}\nHint: {hint}", mid, verdict.layer)

    def error_mistake(self, error: str, case: Case) -> str | None:
        """The mistake id an error message means, from ``error_patterns`` (None: unknown)."""
        return next((mid for pattern, mid in self.error_patterns if re.search(pattern, error)), None)


class NamedParamsHarness(Diagnoses, ModuleHarness):
    """A class exercise whose parameters must carry the reference's names.

    Trainable parameters are matched by name (the message lists the missing and
    unexpected ones) and get the case's values; buffers and frozen parameters the
    candidate makes itself are kept, cast to the case's dtype.
    """

    #: what the expected sub-modules are, in words (shown when the names do not match)
    structure: str = ""

    def build(self, candidate: type, case: Case, inputs: dict[str, torch.Tensor],
              dtype: torch.dtype) -> torch.nn.Module:
        module = candidate(**case.args.get("init", {}))
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"expected {self.name}(...) to build a torch.nn.Module, got "
                            f"{type(module).__name__}")
        params = {k[len("param:"):]: v.detach() for k, v in inputs.items() if k.startswith("param:")}
        module.to(dtype)
        # Frozen parameters (requires_grad=False, e.g. a fixed table kept in an nn.Embedding)
        # are constants like buffers: they are kept, not matched.
        own = {n for n, p in module.named_parameters(remove_duplicate=False) if p.requires_grad}
        missing, extra = sorted(set(params) - own), sorted(own - set(params))
        if missing or extra:
            parts = ([f"missing {_names(missing)}"] if missing else []) + \
                    ([f"unexpected {_names(extra)}"] if extra else [])
            raise RuntimeError(f"the module's parameters are not the expected ones "
                               f"({'; '.join(parts)}); {self.structure}")
        try:
            module.load_state_dict(params, strict=False)
        except RuntimeError as exc:
            raise RuntimeError(f"loading the parameters failed: {str(exc).splitlines()[-1].strip()}"
                               ) from None
        module.eval()
        self._module = module
        return module
