"""Harnesses for lesson 07, the training objective (book ch. 2, "Standard Optimization
Objective for Transformer Language Models" and "Maximum Likelihood Estimation for
Sequential Data"; ch. 1 for the iteration of gradient-based training).

Exercises, in notebook order: ``sequence_log_prob`` (the chain rule), ``dataset_nll``
(maximum likelihood over a dataset: sum, mean per sequence, mean per token, mean of
per-sequence means), ``causal_lm_loss`` (next-token prediction with the shift),
``train_step`` (one training iteration in the right order) and three short questions.

The loss cases are chosen so that each catalogued mistake shows and differs from every
other one: logits with a different offset at every position (so raw logits are not
log-probabilities), T != V, ragged lengths with ignored positions in the middle of a row
as well as at its end, an ``ignore_index`` / ``pad_id`` other than the default next to
real tokens with id 0, and one reduction per case.

``train_step`` is not a function of tensors: its harness builds a tiny network with the
case's weights and an SGD optimizer, calls the candidate twice (two batches), and records
the returned losses, the parameters after each step and the gradients left in the model
after the first step, all as plain tensors. The verdict uses the losses and parameters;
the left-over gradients only tell apart mistakes whose parameters agree (clipping after
the step leaves clipped gradients, never clipping leaves raw ones).

Tolerances were measured by ``tests/grader/test_objective.py``
(``python -m tests.grader.test_objective``): the largest error of a bank of correct
float32 implementations against the float64 reference over 200 seeds, visible and hidden
cases, outputs and gradients. Each tolerance is about ten times that figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..answers import AnswerHarness
from ..compare import ERROR_KEY, Mistake, Problem, Tolerance, Verdict, compare
from ..harness import Case, Harness
from . import register

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


# --------------------------------------------------------------------------- sequence_log_prob


@register
class SequenceLogProb(_NamesErrors, Harness):
    lesson = LESSON
    name = "sequence_log_prob"
    title = "log p(y) = sum_t log p(y_t | y_<t) for each sequence: (B,)"
    grad_inputs = ("logits",)
    # Measured over 200 seeds (9 float32 implementations against the float64 reference):
    # max abs error 4.2e-06 on log p(y) (|log p| up to ~35), 1.3e-06 on the gradients; the
    # worst element uses 10.2% of this tolerance (a 10x margin).
    tolerance = Tolerance(atol=7e-6, rtol=3e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t, v = (4, 7, 11) if hidden else (3, 5, 7)
        out = []

        def add(name: str, describe: str, targets: torch.Tensor, ignore_index: int) -> None:
            logits = _logits(gen, b, t, v)
            args = {} if ignore_index == IGNORE_INDEX else {"ignore_index": ignore_index}
            out.append(Case(name, describe, {"logits": logits, "targets": targets}, args,
                            {"log_prob": _randn(gen, b)}))

        add("every position counts", f"logits {(b, t, v)}, targets {(b, t)}, no ignored position",
            _ids(gen, b, t, 0, v), IGNORE_INDEX)
        targets = _ids(gen, b, t, 0, v)
        targets[torch.arange(t)[None, :] >= _lengths(gen, b, t)[:, None]] = IGNORE_INDEX
        targets[1, 1] = IGNORE_INDEX  # an ignored position in the middle of a row
        add("-100 at the end and in the middle", f"logits {(b, t, v)}, targets {(b, t)} with "
            "-100 after each sequence's end and once inside a sequence", targets, IGNORE_INDEX)
        ignore = int(torch.randint(0, v, (1,), generator=gen)) if hidden else 0
        targets = _ids(gen, b, t, 0, v)
        targets[targets == ignore] = (ignore + 1) % v
        targets[torch.arange(t)[None, :] >= _lengths(gen, b, t)[:, None]] = ignore
        targets[0, 2] = ignore
        add("another ignore_index", f"logits {(b, t, v)}, targets {(b, t)}, "
            f"ignore_index={'an id in [0, V)' if hidden else ignore} at the end of rows and inside "
            "one", targets, ignore)
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"log_prob": candidate(inputs["logits"], inputs["targets"], **case.args)}

    def general_hint(self, got: Mapping[str, Any], case: Case) -> str | None:
        lp = got.get("log_prob")
        if type(lp) is torch.Tensor and lp.is_floating_point() and bool((lp > 1e-6).any()):
            return ("a log-probability is at most 0 (a probability is at most 1): "
                    "take log_softmax over the vocabulary before picking the targets' entries.")
        return None


# --------------------------------------------------------------------------- dataset_nll

REDUCTIONS = ("sum", "mean", "token_mean", "length_normalized")


@register
class DatasetNLL(_NamesErrors, Harness):
    lesson = LESSON
    name = "dataset_nll"
    title = "negative log-likelihood of a batch of sequences, four reductions"
    grad_inputs = ("logits",)
    # Measured over 200 seeds (5 implementations, float32 against float64): max abs error
    # 1.6e-05 on the NLL (the "sum" reaches ~90), 4.1e-07 on the gradients; the worst element
    # uses 9.1% of this tolerance (an 11x margin).
    tolerance = Tolerance(atol=5e-6, rtol=2.5e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # One ragged batch (very different lengths, so every reduction gives another
        # number), judged once per reduction.
        b, t, v = (5, 9, 7) if hidden else (4, 7, 6)
        logits = _logits(gen, b, t, v)
        targets = _ids(gen, b, t, 0, v)
        targets[torch.arange(t)[None, :] >= _lengths(gen, b, t)[:, None]] = IGNORE_INDEX
        targets[0, 3] = IGNORE_INDEX  # an ignored position inside the longest sequence
        counts = (targets != IGNORE_INDEX).sum(1).tolist()
        shown = "ragged" if hidden else str(counts)
        out = []
        for reduction in REDUCTIONS:
            out.append(Case(f"reduction {reduction}",
                            f"logits {(b, t, v)}, targets {(b, t)} with -100 padding "
                            f"(tokens per sequence: {shown}), reduction={reduction!r}",
                            {"logits": logits, "targets": targets}, {"reduction": reduction},
                            {"nll": _randn(gen)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"nll": candidate(inputs["logits"], inputs["targets"], reduction=case.args["reduction"])}

    def general_hint(self, got: Mapping[str, Any], case: Case) -> str | None:
        nll = got.get("nll")
        if type(nll) is torch.Tensor and nll.is_floating_point() and bool((nll < -1e-6).any()):
            return "a negative log-likelihood is at least 0: it is MINUS the sum of log-probabilities."
        return None


# --------------------------------------------------------------------------- causal_lm_loss


@register
class CausalLMLoss(_NamesErrors, Harness):
    lesson = LESSON
    name = "causal_lm_loss"
    title = "next-token prediction: mean NLL of input_ids[:, t+1] under logits[:, t]"
    grad_inputs = ("logits",)
    # Measured over 200 seeds (7 implementations, float32 against float64): max abs error
    # 8.0e-07 on the loss (~3 to 5), 4.3e-08 on the gradients; the worst element uses 8.7% of
    # this tolerance (an 11x margin).
    tolerance = Tolerance(atol=2e-6, rtol=2e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t, v = (4, 8, 13) if hidden else (3, 6, 10)
        out = []

        def add(name: str, describe: str, ids: torch.Tensor, pad_id: int) -> None:
            out.append(Case(name, describe, {"logits": _logits(gen, b, t, v), "input_ids": ids},
                            {"pad_id": pad_id}, {"loss": _randn(gen)}))

        add("no padding", f"logits {(b, t, v)}, input_ids {(b, t)} without padding, pad_id=0",
            _ids(gen, b, t, 1, v), 0)
        ids = _ids(gen, b, t, 1, v)
        ids[torch.arange(t)[None, :] >= _lengths(gen, b, t)[:, None]] = 0
        add("right padding", f"logits {(b, t, v)}, input_ids {(b, t)} right-padded with pad_id=0 "
            "(rows of different lengths)", ids, 0)
        pad_id = int(torch.randint(1, v, (1,), generator=gen)) if hidden else 3
        ids = _ids(gen, b, t, 0, v)
        ids[ids == pad_id] = 0  # no real token has the pad id, and several have id 0
        ids[:, 1] = 0
        ids[torch.arange(t)[None, :] >= _lengths(gen, b, t)[:, None]] = pad_id
        add("pad_id other than 0", f"logits {(b, t, v)}, input_ids {(b, t)} right-padded with "
            f"pad_id={'an id other than 0' if hidden else pad_id}; real tokens with id 0", ids, pad_id)
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"loss": candidate(inputs["logits"], inputs["input_ids"], pad_id=case.args["pad_id"])}

    def general_hint(self, got: Mapping[str, Any], case: Case) -> str | None:
        loss = got.get("loss")
        if type(loss) is torch.Tensor and loss.is_floating_point() and bool((loss < -1e-6).any()):
            return "a negative log-likelihood is at least 0: it is MINUS the mean log-probability."
        return None


# --------------------------------------------------------------------------- train_step


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
class TrainStep(Harness):
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


# --------------------------------------------------------------------------- questions


@register
class LongSequences(AnswerHarness):
    lesson = LESSON
    name = "long_sequences"
    kind = "choice"
    question = ("The objective is the sum of the log-probabilities of all sequences. Why do a few "
                "very long sequences influence it more than many short ones? (one letter)")


@register
class ObjectiveChange(AnswerHarness):
    lesson = LESSON
    name = "objective_change"
    kind = "number"
    question = ("The objective is the sum over 1,000 training sequences of log p(sequence). After "
                "one update, one sequence's log-probability rises by 2.5 and every other stays the "
                "same. By how much does the objective change? (a signed number)")


@register
class ParallelTraining(AnswerHarness):
    lesson = LESSON
    name = "parallel_training"
    kind = "choice"
    question = ("What lets a decoder-only language model compute the next-token loss at every "
                "position of a sequence in one forward pass? (one letter)")
