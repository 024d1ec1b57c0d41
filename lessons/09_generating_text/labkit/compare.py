"""The layered comparison every check runs: error -> type -> shape -> properties
-> values -> gradients, stopping at the first failure (docs/exercise-contract.md).

It works on plain data only: the candidate's outputs (a dict of tensors, or an
error string), the expected outputs and the outputs of each catalogued mistake
on the same inputs. The same code runs in a student's kernel (against shipped
fixtures) and in the grader's trusted process (against evidence files), so a
student sees exactly the verdict the autograder will give on the visible case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

ERROR_KEY = "__error__"
GRAD_PREFIX = "grad:"


@dataclass(frozen=True)
class Tolerance:
    """``|got - expected| <= atol + rtol * |expected|``, elementwise."""

    atol: float = 1e-5
    rtol: float = 1e-4


@dataclass
class Verdict:
    """What one check decided. ``mistake`` is a catalogued mistake's id or None."""

    passed: bool
    feedback: str
    mistake: str | None = None
    layer: str | None = None


@dataclass
class Problem:
    """A property that does not hold; ``mistake`` names the catalogued cause, if known."""

    message: str
    mistake: str | None = None


@dataclass
class Mistake:
    """A catalogued wrong answer: its outputs on the case's inputs and the hint."""

    id: str
    hint: str
    outputs: Mapping[str, object] = field(default_factory=dict)


PropertyFn = Callable[[Mapping[str, object]], list[Problem]]


def describe(x: object) -> str:
    """A short description of a value for feedback: type, shape and dtype."""
    if isinstance(x, torch.Tensor):
        return f"tensor of shape {tuple(x.shape)}, dtype {x.dtype}"
    return type(x).__name__


def _few(t: torch.Tensor, n: int = 4) -> str:
    vals = t.detach().reshape(-1)[:n].double().tolist()
    return "[" + ", ".join(f"{v:.4g}" for v in vals) + (", ...]" if t.numel() > n else "]")


def _is_float(t: torch.Tensor) -> bool:
    return t.is_floating_point()


def _close(got: torch.Tensor, exp: torch.Tensor, tol: Tolerance) -> bool:
    if got.shape != exp.shape:
        return False
    if not _is_float(exp):
        return bool(torch.equal(got.to(exp.dtype), exp))
    g, e = got.double(), exp.double()
    return bool(torch.isclose(g, e, rtol=tol.rtol, atol=tol.atol, equal_nan=True).all())


def _value_report(name: str, got: torch.Tensor, exp: torch.Tensor) -> str:
    if _is_float(exp):
        diff = (got.double() - exp.double()).abs()
        diff = torch.where(torch.isnan(diff), torch.full_like(diff, float("inf")), diff)
        worst = int(diff.reshape(-1).argmax())
        idx = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), diff.shape))
        head = f"'{name}': values differ, max abs error {float(diff.max()):.3g} at index {idx}"
    else:
        wrong = (got.to(exp.dtype) != exp)
        head = f"'{name}': {int(wrong.sum())} of {exp.numel()} entries differ"
    return f"{head}\n  expected {_few(exp)}\n  got      {_few(got)}"


def matching_mistake(got: Mapping[str, object], mistakes: list[Mistake], keys: list[str],
                     tol: Tolerance) -> Mistake | None:
    """The first mistake whose outputs agree with ``got`` on every key in ``keys``."""
    for m in mistakes:
        if all(k in m.outputs and isinstance(got.get(k), torch.Tensor)
               and isinstance(m.outputs[k], torch.Tensor)
               and _close(got[k], m.outputs[k], tol) for k in keys):
            return m
    return None


def _fail(layer: str, text: str, context: str, mistake: Mistake | Problem | None = None,
          hint: str | None = None) -> Verdict:
    lines = [f"FAILED ({layer}) {context}", text]
    mistake_id = getattr(mistake, "id", None) or getattr(mistake, "mistake", None)
    if hint:
        lines.append(f"Hint: {hint}")
    return Verdict(False, "\n".join(lines), mistake_id, layer)


def error_verdict(err: str, context: str, mistakes: list[Mistake] | None = None,
                  patterns: tuple[tuple[str, str], ...] = ()) -> Verdict:
    """The verdict on a candidate that raised ``err``: ``not_implemented`` when it is the
    untouched exercise's NotImplementedError; named when a catalogued mistake raised the very
    same error on this case (e.g. ``(B, T, V)`` logits handed to ``F.cross_entropy``) or
    whose id a ``(regex, mistake id)`` of ``patterns`` gives for the message; else unnamed."""
    if err.startswith("NotImplementedError"):
        return Verdict(False, f"FAILED (error) {context}\nyour code raised {err}",
                       "not_implemented", "error")
    mistakes = mistakes or []
    found = next((m for m in mistakes if m.outputs.get(ERROR_KEY) == err), None)
    if found is None:
        mid = next((mid for pattern, mid in patterns if re.search(pattern, err, re.S)), None)
        found = next((m for m in mistakes if m.id == mid), None)
    lines = [f"FAILED (error) {context}", f"your code raised {err}"]
    if found is not None:
        lines.append(f"Hint: {found.hint}")
    return Verdict(False, "\n".join(lines), found.id if found else None, "error")


def compare(got: Mapping[str, object], expected: Mapping[str, torch.Tensor], *,
            context: str, mistakes: list[Mistake] | None = None,
            properties: PropertyFn | None = None, hints: Mapping[str, str] | None = None,
            tol: Tolerance = Tolerance()) -> Verdict:
    """Compare one case's outputs layer by layer; the first failure decides.

    ``context`` says what was checked (e.g. "scaled_dot_product_attention on
    case 'padding mask'"); ``hints`` maps mistake ids found by ``properties`` to
    their hint text.
    """
    mistakes = mistakes or []
    hints = hints or {}
    if ERROR_KEY in got:
        return error_verdict(str(got[ERROR_KEY]), context, mistakes)
    value_keys = [k for k in expected if not k.startswith(GRAD_PREFIX)]
    grad_keys = [k for k in expected if k.startswith(GRAD_PREFIX)]
    for key in value_keys + grad_keys:
        v = _check_type_shape(key, got, expected[key], context, mistakes, tol)
        if v is not None:
            return v
    if properties is not None:
        problems = properties(got)
        if problems:
            p = problems[0]
            return _fail("property", p.message, context, p, hints.get(p.mistake or ""))
    for layer, keys in (("values", value_keys), ("gradients", grad_keys)):
        bad = [k for k in keys if not _close(got[k], expected[k], tol)]  # type: ignore[arg-type]
        if bad:
            m = matching_mistake(got, mistakes, keys, tol)
            report = _value_report(bad[0], got[bad[0]], expected[bad[0]])  # type: ignore[arg-type]
            return _fail(layer, report, context, m, m.hint if m else None)
    return Verdict(True, f"passed: {context}")


def _check_type_shape(key: str, got: Mapping[str, object], exp: torch.Tensor, context: str,
                      mistakes: list[Mistake], tol: Tolerance) -> Verdict | None:
    is_grad = key.startswith(GRAD_PREFIX)
    what = f"the gradient of {key[len(GRAD_PREFIX):]}" if is_grad else key
    if key not in got or got[key] is None:
        if is_grad:
            return _fail("gradients", f"no gradient reached {key[len(GRAD_PREFIX):]}: is the "
                         "graph cut (.detach(), .data, torch.no_grad, a numpy round trip)?", context)
        return _fail("type", f"'{what}' is missing from your result", context)
    g = got[key]
    # Exact type, not isinstance: a Tensor subclass can override comparisons.
    if type(g) is not torch.Tensor:
        return _fail("type", f"'{what}': expected a torch.Tensor, got {describe(g)}", context)
    if _is_float(exp) != _is_float(g) or (exp.dtype == torch.bool) != (g.dtype == torch.bool):
        return _fail("type", f"'{what}': expected dtype {exp.dtype}, got {g.dtype}", context)
    if g.shape != exp.shape:
        m = next((m for m in mistakes if isinstance(m.outputs.get(key), torch.Tensor)
                  and m.outputs[key].shape == g.shape), None)
        return _fail("shape", f"'{what}': expected shape {tuple(exp.shape)}, got {tuple(g.shape)}",
                     context, m, m.hint if m else None)
    return None
