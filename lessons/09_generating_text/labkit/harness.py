"""How an exercise is exercised: its input cases, how a candidate is called on
them, and the properties its outputs must have.

A harness holds no answer. It builds inputs from a seed, calls whatever it is
given (the student's function, the reference or a catalogued mistake) the same
way, and returns plain tensors: outputs, and input/parameter gradients under a
random upstream gradient. The trusted grader compares those tensors; the
student's kernel only ever produces them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from .compare import ERROR_KEY, GRAD_PREFIX, Mistake, Problem, Tolerance, Verdict, compare

MUTATED_KEY = "__mutated__"


@dataclass
class Case:
    """One input case, as plain data (it is saved in fixtures and evidence).

    ``inputs``: named tensors passed to the candidate (floats stored as float64);
    ``args``: plain Python arguments; ``upstream``: the random upstream gradient
    for each output that is differentiated; ``describe``: what the case is, in
    words and shapes, safe to show a student even for hidden cases.
    """

    name: str
    describe: str
    inputs: dict[str, torch.Tensor] = field(default_factory=dict)
    args: dict[str, Any] = field(default_factory=dict)
    upstream: dict[str, torch.Tensor] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        return {"name": self.name, "describe": self.describe, "inputs": self.inputs,
                "args": self.args, "upstream": self.upstream}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Case:
        return cls(data["name"], data["describe"], dict(data["inputs"]), dict(data["args"]),
                   dict(data["upstream"]))


def derive_seed(seed: int, *parts: str) -> int:
    """A stable 63-bit seed from ``seed`` and names (Python's ``hash`` is salted per process)."""
    digest = hashlib.sha256(":".join([str(seed), *parts]).encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class Harness:
    """Base class: a function exercise. Subclasses set the class attributes and
    implement :meth:`cases` and :meth:`forward`; :meth:`properties` is optional."""

    lesson: str = ""
    name: str = ""
    title: str = ""
    grad_inputs: tuple[str, ...] = ()
    tolerance: Tolerance = Tolerance()
    #: hints for mistakes found by :meth:`properties` (id -> hint)
    hints: dict[str, str] = {}

    @property
    def exercise_id(self) -> str:
        return f"{self.lesson}/{self.name}"

    # --- to implement -------------------------------------------------------
    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        raise NotImplementedError

    def forward(self, candidate: Callable[..., Any], inputs: dict[str, torch.Tensor],
                case: Case) -> dict[str, Any]:
        raise NotImplementedError

    def properties(self, got: Mapping[str, Any], case: Case) -> list[Problem]:
        return []

    # --- shared machinery ---------------------------------------------------
    def run(self, candidate: Any, case: Case, dtype: torch.dtype = torch.float32) -> dict[str, Any]:
        """Call ``candidate`` on ``case``; return outputs and gradients as plain tensors.

        Any exception becomes ``{"__error__": "Type: message"}``: a student's error
        is a verdict, never a crash of the grader.
        """
        inputs = {k: _prepare(v, dtype, k in self.grad_inputs) for k, v in case.inputs.items()}
        before = {k: v.detach().clone() for k, v in inputs.items()}
        try:
            outputs = self.forward(candidate, inputs, case)
            result = {k: (v.detach() if type(v) is torch.Tensor else v) for k, v in outputs.items()}
            result.update(self._backward(outputs, inputs, case, dtype))
        except Exception as exc:  # noqa: BLE001 - any student error is reported, not raised
            return {ERROR_KEY: f"{type(exc).__name__}: {exc}"[:500]}
        changed = [k for k, v in inputs.items() if not torch.equal(v.detach(), before[k])]
        if changed:
            result[MUTATED_KEY] = ",".join(changed)
        return result

    def _backward(self, outputs: Mapping[str, Any], inputs: dict[str, torch.Tensor], case: Case,
                  dtype: torch.dtype) -> dict[str, Any]:
        leaves = {k: inputs[k] for k in self.grad_inputs}
        leaves.update(self.extra_grad_leaves(outputs))
        terms = []
        for key, up in case.upstream.items():
            out = outputs.get(key)
            if type(out) is not torch.Tensor or out.shape != up.shape or not out.requires_grad:
                continue  # the type/shape layers report it
            terms.append((out * up.to(out.dtype)).sum())
        if not terms or not leaves:
            return {}
        torch.stack(terms).sum().backward()
        return {GRAD_PREFIX + k: (None if v.grad is None else v.grad.detach())
                for k, v in leaves.items()}

    def extra_grad_leaves(self, outputs: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        """Further tensors whose gradients are recorded (a module's parameters)."""
        return {}

    def all_properties(self, got: Mapping[str, Any], case: Case) -> list[Problem]:
        if MUTATED_KEY in got:
            return [Problem(f"your code changed its input '{got[MUTATED_KEY]}' in place; "
                            "work on a copy (e.g. .clone()) instead", "mutates_input")]
        return self.properties(got, case)

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
              mistakes: list[Mistake], case: Case, *, hidden: bool) -> Verdict:
        """Decide one case. Deterministic exercises compare against ``expected``;
        randomised ones override this with invariants and statistics."""
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"{self.name} on {where} ({case.describe})"
        return compare(got, expected, context=context, mistakes=mistakes, tol=self.tolerance,
                       properties=lambda g: self.all_properties(g, case), hints=self.hints)


class ModuleHarness(Harness):
    """A class exercise: the candidate class is built with ``case.args['init']`` and
    gets the case's parameters (``case.inputs['param:<name>']``) loaded, so its own
    initialisation never matters; dropout is off (eval mode)."""

    #: What the candidate's parameters must be, said to the student when the case's
    #: parameters do not load into it (e.g. "the module's parameters must be exactly
    #: q_proj, k_proj, v_proj and out_proj"); empty: torch's own message.
    parameters_rule: str = ""

    def build(self, candidate: type, case: Case, inputs: dict[str, torch.Tensor],
              dtype: torch.dtype) -> torch.nn.Module:
        module = candidate(**case.args.get("init", {}))
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"expected {self.name}(...) to build a torch.nn.Module, got "
                            f"{type(module).__name__}")
        params = {k[len("param:"):]: v for k, v in inputs.items() if k.startswith("param:")}
        module.to(dtype)
        try:
            module.load_state_dict({k: v.detach() for k, v in params.items()}, strict=True)
        except RuntimeError as exc:
            if not self.parameters_rule:
                raise
            # torch's message lists every missing and unexpected key; its last line is the
            # telling one, and the rule says what to do about it.
            raise RuntimeError(f"{self.parameters_rule}; loading them failed: "
                               f"{str(exc).splitlines()[-1].strip()[:200]}") from None
        module.eval()
        self._module = module
        return module

    def extra_grad_leaves(self, outputs: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        module = getattr(self, "_module", None)
        return {} if module is None else dict(module.named_parameters())


def _prepare(t: torch.Tensor, dtype: torch.dtype, requires_grad: bool) -> torch.Tensor:
    t = t.detach().clone()
    if t.is_floating_point():
        t = t.to(dtype)
        t.requires_grad_(requires_grad)
    return t
