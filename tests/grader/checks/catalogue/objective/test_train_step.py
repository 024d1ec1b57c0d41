"""Lesson 07, ``train_step``: the bank of correct alternatives, the feedback, what the
harness records and what the cases hold."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.nn.utils import clip_grad_norm_

import grader
import grader.checks.engine as engine
from grader.checks.catalogue.objective.train_step import (
    ts_clip_after_step,
    ts_no_clip,
    ts_no_zero_grad,
)
from grader.checks.registry import get
from grader.labkit.exercises.objective.train_step import LEFT_PREFIX, TinyNet
from reference.training import train_step_loss

from ._common import measure_errors, modes, xid


def ts_canonical(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


def ts_zero_grads_kept(model, batch, loss_fn, optimizer, max_grad_norm):
    """zero_grad(set_to_none=False) and float(loss)."""
    optimizer.zero_grad(set_to_none=False)
    loss = loss_fn(model, batch)
    loss.backward()
    clip_grad_norm_(model.parameters(), max_norm=max_grad_norm)
    optimizer.step()
    return float(loss)


def ts_zero_grad_at_end(model, batch, loss_fn, optimizer, max_grad_norm):
    """Gradients cleared after the update instead of before the next one."""
    loss = loss_fn(model, batch)
    loss.backward()
    clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    optimizer.zero_grad()
    return loss.detach().item()


def ts_manual_clip(model, batch, loss_fn, optimizer, max_grad_norm):
    """Clipping written out: one norm over every gradient, scaled only when it is too big."""
    model.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    total = torch.sqrt(sum(g.pow(2).sum() for g in grads))
    if total > max_grad_norm:
        for g in grads:
            g.mul_(max_grad_norm / total)
    optimizer.step()
    return loss.item()


def ts_param_groups(model, batch, loss_fn, optimizer, max_grad_norm):
    """The parameters taken from the optimizer; the loss value read before backward."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for p in params:
        p.grad = None
    loss = loss_fn(model, batch)
    value = loss.item()
    loss.backward()
    clip_grad_norm_(params, max_grad_norm, norm_type=2.0)
    optimizer.step()
    return value


def ts_train_mode(model, batch, loss_fn, optimizer, max_grad_norm):
    """model.train() first, the norm's scale applied with torch.clamp."""
    model.train()
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model, batch)
    loss.backward()
    params = [p for p in model.parameters() if p.grad is not None]
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params]))
    scale = torch.clamp(max_grad_norm / (norm + 1e-6), max=1.0)
    for p in params:
        p.grad.detach().mul_(scale)
    optimizer.step()
    return loss.item()


BANK = [train_step_loss, ts_canonical, ts_zero_grads_kept, ts_zero_grad_at_end, ts_manual_clip,
        ts_param_groups, ts_train_mode]


@pytest.mark.parametrize("candidate", BANK, ids=lambda c: c.__name__)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct implementation in the bank passes, visible and hidden."""
    result = grader.check(xid("train_step"), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


def test_tolerance_keeps_its_margin():
    """The bank stays well inside the tolerance (about a tenth of it, measured over
    200 seeds by ``python -m tests.grader.checks.catalogue.objective.measure``; a few seeds here)."""
    worst = measure_errors("train_step", BANK, seeds=range(3))
    assert worst["fraction_of_tolerance"] < 0.3, worst


def test_train_step_feedback_names_what_it_checked():
    """train_step's feedback names the step and parameter that differ, and a missing
    return value is told as such."""
    result = grader.check(xid("train_step"), ts_no_zero_grad.fn)
    assert "after step 2" in result.feedback, result.feedback

    def no_return(model, batch, loss_fn, optimizer, max_grad_norm):
        ts_canonical(model, batch, loss_fn, optimizer, max_grad_norm)

    result = grader.check(xid("train_step"), no_return)
    assert not result.passed and "returned NoneType" in result.feedback


def test_train_step_harness_records_plain_tensors():
    """The recorded outputs are plain tensors and strings (evidence-safe), and the
    gradients left after the first step tell clip-after-step from never clipping."""
    ex = get(xid("train_step"))
    case = engine.cases_for(ex, hidden=False, seed=None)[0]
    ref = ex.harness.run(train_step_loss, case, torch.float64)
    late = ex.harness.run(ts_clip_after_step.fn, case, torch.float64)
    never = ex.harness.run(ts_no_clip.fn, case, torch.float64)
    assert all(type(v) is torch.Tensor or isinstance(v, str) for v in ref.values())
    left = [k for k in ref if k.startswith(LEFT_PREFIX)]
    assert left and all(torch.allclose(ref[k], late[k]) for k in left)
    assert not all(torch.allclose(late[k], never[k]) for k in left)


def test_train_step_cases_clip_where_they_should():
    """In the first two cases the gradient norm exceeds max_grad_norm (so clipping shows;
    in the first also a fixed max norm of 1.0); in the third it stays below (so clipping
    must leave it alone)."""
    ex = get(xid("train_step"))
    for hidden in (False, True):
        for i, case in enumerate(engine.cases_for(ex, hidden=hidden, seed=5)):
            d_in, d_hidden, d_out = case.args["sizes"]
            model = TinyNet(d_in, d_hidden, d_out).double()
            model.load_state_dict({k[6:]: v for k, v in case.inputs.items() if k.startswith("param:")})
            x, y = case.inputs["x1"], case.inputs["y1"]
            loss = F.mse_loss(model(x), y) if case.args["loss"] == "mse" else F.cross_entropy(model(x), y)
            loss.backward()
            norm = float(torch.sqrt(sum(p.grad.pow(2).sum() for p in model.parameters())))
            if i < 2:
                assert norm > 1.5 * case.args["max_grad_norm"], (case.name, norm)
                if i == 0:
                    assert norm > 1.5, (case.name, norm)  # a fixed max norm of 1.0 shows too
            else:
                assert norm < case.args["max_grad_norm"], (case.name, norm)
