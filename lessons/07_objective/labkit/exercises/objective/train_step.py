"""Lesson 07's ``train_step`` harness: one training iteration in the right order.

``train_step`` is not a function of tensors: its harness builds a tiny network with the
case's weights and an SGD optimizer, calls the candidate twice (two batches), and records
the returned losses, the parameters after each step and the gradients left in the model
after the first step, all as plain tensors. The verdict uses the losses and parameters;
the left-over gradients only tell apart mistakes whose parameters agree (clipping after
the step leaves clipped gradients, never clipping leaves raw ones).

Tolerances were measured by the lesson's tests (``python -m
tests.grader.checks.catalogue.objective.measure``): the largest error of a bank of correct
float32 implementations against the float64 reference over 200 seeds, visible and hidden
cases, outputs and gradients. The tolerance is about ten times that figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ...compare import ERROR_KEY, Mistake, Problem, Tolerance, Verdict, compare
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, _randn


class TinyNet(nn.Module):
    """The network the train_step checks train: Linear -> tanh -> Linear."""

    def __init__(self, d_in: int, d_hidden: int, d_out: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(d_in, d_hidden)
        self.out = nn.Linear(d_hidden, d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.hidden(x)))


def _mse_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    x, y = batch
    return F.mse_loss(model(x), y)


def _cross_entropy_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    x, y = batch
    return F.cross_entropy(model(x), y)


LOSS_FNS = {"mse": _mse_loss, "cross_entropy": _cross_entropy_loss}
STEPS = (1, 2)
LEFT_PREFIX = "gradient left after step 1: "

TRAIN_STEP_HINTS = {
    "returns_tensor": "return loss.item() (a Python float), not the loss tensor: a tensor keeps "
    "the whole graph of the step alive in the caller's list of losses.",
}


def _loss_key(step: int) -> str:
    return f"loss returned by step {step}"


def _param_key(name: str, step: int) -> str:
    return f"{name} after step {step}"


@register
class TrainStepHarness(Harness):
    """``train_step(model, batch, loss_fn, optimizer, max_grad_norm) -> float``."""

    lesson = LESSON
    name = "train_step"
    title = "zero_grad -> forward -> loss -> backward -> clip -> step"
    hints = TRAIN_STEP_HINTS
    # Measured over 200 seeds (7 implementations, float32 against float64): max abs error
    # 1.1e-05 on the returned losses (MSE losses reach ~85; the parameters after two steps
    # differ by 1.5e-07 at most over 40 seeds); the worst element uses 10.0% of this
    # tolerance (a 10x margin).
    tolerance = Tolerance(atol=1e-6, rtol=2e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        out = []

        def add(name: str, loss: str, sizes: tuple[int, int, int, int], lr: float, momentum: float,
                max_grad_norm: float, y_scale: float) -> None:
            d_in, d_hidden, d_out, n = sizes
            inputs = {
                "param:hidden.weight": _randn(gen, d_hidden, d_in, scale=d_in ** -0.5),
                "param:hidden.bias": _randn(gen, d_hidden, scale=0.3),
                "param:out.weight": _randn(gen, d_out, d_hidden, scale=d_hidden ** -0.5),
                "param:out.bias": _randn(gen, d_out, scale=0.3),
            }
            for step in STEPS:
                inputs[f"x{step}"] = _randn(gen, n, d_in, scale=2.0)
                if loss == "mse":
                    inputs[f"y{step}"] = _randn(gen, n, d_out, scale=y_scale)
                else:
                    inputs[f"y{step}"] = torch.randint(0, d_out, (n,), generator=gen)
            describe = (f"{name}: TinyNet({d_in}, {d_hidden}, {d_out}) (Linear -> tanh -> Linear), "
                        f"batches of {n}, {loss} loss, SGD(lr={lr}, momentum={momentum}), "
                        f"max_grad_norm={max_grad_norm}; two calls, one batch each")
            args = {"sizes": [d_in, d_hidden, d_out], "loss": loss, "lr": lr, "momentum": momentum,
                    "max_grad_norm": max_grad_norm}
            out.append(Case(name, describe, inputs, args))

        if hidden:
            add("regression", "mse", (4, 5, 3, 6), 0.05, 0.0, 0.7, 6.0)
            add("classification, momentum", "cross_entropy", (5, 6, 4, 7), 0.3, 0.9, 0.2, 1.0)
            add("gradients below max_grad_norm", "mse", (3, 4, 2, 5), 0.05, 0.5, 12.0, 1.0)
        else:
            add("regression", "mse", (3, 4, 2, 5), 0.05, 0.0, 0.5, 5.0)
            add("classification, momentum", "cross_entropy", (4, 5, 3, 6), 0.3, 0.9, 0.3, 1.0)
            add("gradients below max_grad_norm", "mse", (3, 5, 2, 4), 0.05, 0.5, 12.0, 1.0)
        return out

    def run(self, candidate: Any, case: Case, dtype: torch.dtype = torch.float32) -> dict[str, Any]:
        """Build the network with the case's weights, call ``candidate`` on two batches, and
        record the returned losses, the parameters after each step and the gradients left
        in the model after the first step, as plain tensors."""
        try:
            return self._run(candidate, case, dtype)
        except Exception as exc:  # noqa: BLE001 - any student error is reported, not raised
            return {ERROR_KEY: f"{type(exc).__name__}: {exc}"[:500]}

    def _run(self, candidate: Any, case: Case, dtype: torch.dtype) -> dict[str, Any]:
        d_in, d_hidden, d_out = case.args["sizes"]
        model = TinyNet(d_in, d_hidden, d_out).to(dtype)
        params = {k[len("param:"):]: v.to(dtype) for k, v in case.inputs.items() if k.startswith("param:")}
        model.load_state_dict(params, strict=True)
        optimizer = torch.optim.SGD(model.parameters(), lr=case.args["lr"],
                                    momentum=case.args["momentum"])
        loss_fn = LOSS_FNS[case.args["loss"]]
        out: dict[str, Any] = {}
        for step in STEPS:
            x = case.inputs[f"x{step}"].to(dtype)
            y = case.inputs[f"y{step}"]
            y = y.to(dtype) if y.is_floating_point() else y.long()
            returned = candidate(model, (x, y), loss_fn, optimizer, case.args["max_grad_norm"])
            out[f"type of the loss returned by step {step}"] = _kind(returned)
            if isinstance(returned, torch.Tensor) and returned.numel() == 1:
                returned = returned.detach().reshape(())
            if isinstance(returned, (int, float)) and not isinstance(returned, bool):
                returned = torch.tensor(float(returned), dtype=torch.float64)
            if type(returned) is torch.Tensor:
                out[_loss_key(step)] = returned.detach().clone()
            for name, p in model.named_parameters():
                out[_param_key(name, step)] = p.detach().clone()
            if step == 1:
                for name, p in model.named_parameters():
                    g = torch.zeros_like(p) if p.grad is None else p.grad
                    out[LEFT_PREFIX + name] = g.detach().clone()
        return out

    def properties(self, got: Mapping[str, Any], case: Case) -> list[Problem]:
        for step in STEPS:
            kind = got.get(f"type of the loss returned by step {step}")
            if kind != "float":
                shown = kind if isinstance(kind, str) else "nothing"
                mid = "returns_tensor" if shown.startswith("tensor") else None
                return [Problem(f"train_step must return the loss as a Python float; step {step} "
                                f"returned {shown}", mid)]
        return []

    def judge(self, got: Mapping[str, Any], expected: Mapping[str, Any], mistakes: list[Mistake],
              case: Case, *, hidden: bool) -> Verdict:
        where = "a hidden case" if hidden else f"case '{case.name}'"
        context = f"train_step on {where} ({case.describe})"
        # The verdict: the returned losses and the parameters after each step.
        core = {k: v for k, v in expected.items()
                if type(v) is torch.Tensor and not k.startswith(LEFT_PREFIX)}
        # Mistakes whose left-over gradients also agree come first, so that two mistakes
        # with the same parameters (clip after step / never clip) are told apart.
        left = [k for k, v in expected.items() if k.startswith(LEFT_PREFIX)]
        ordered = sorted(mistakes, key=lambda m: not _agree(got, m.outputs, left, self.tolerance))
        if ERROR_KEY not in got:
            for step in STEPS:  # a missing return value is told as such, before the type layer
                if f"type of the loss returned by step {step}" in got and _loss_key(step) not in got:
                    kind = got[f"type of the loss returned by step {step}"]
                    return Verdict(False, f"FAILED (type) {context}\ntrain_step must return the "
                                   f"loss as a Python float; step {step} returned {kind}",
                                   None, "type")
        verdict = compare(got, core, context=context, mistakes=ordered, tol=self.tolerance,
                          properties=lambda g: self.properties(g, case), hints=self.hints)
        if hidden and not verdict.passed:
            # The parameters after a step are close to a hidden case's initial weights:
            # keep the max error and its index, not the values.
            lines = [ln for ln in verdict.feedback.splitlines()
                     if not ln.startswith(("  expected ", "  got "))]
            verdict = Verdict(False, "\n".join(lines), verdict.mistake, verdict.layer)
        return verdict


def _kind(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor of shape {tuple(value.shape)}"
    if isinstance(value, float):
        return "float"
    return type(value).__name__


def _agree(got: Mapping[str, Any], outputs: Mapping[str, Any], keys: list[str], tol: Tolerance) -> bool:
    for k in keys:
        a, b = got.get(k), outputs.get(k)
        if type(a) is not torch.Tensor or type(b) is not torch.Tensor or a.shape != b.shape:
            return False
        if not torch.isclose(a.double(), b.double(), rtol=tol.rtol, atol=tol.atol).all():
            return False
    return True
