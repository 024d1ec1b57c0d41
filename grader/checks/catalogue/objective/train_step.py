"""Lesson 07's ``train_step`` entry: the reference and the catalogued mistakes (trusted; never
shipped).

The reference is ``reference.training.train_step_loss``: ``reference.training.train_step``
with the student's signature, returning the loss only (the reference's own ``train_step``
also returns the gradient norm). Each mistake is a complete wrong implementation with the
student's signature that makes exactly one mistake.
"""

from __future__ import annotations

import torch
from torch.nn.utils import clip_grad_norm_, clip_grad_value_

from grader.labkit.exercises.objective.train_step import TRAIN_STEP_HINTS
from reference.training import train_step_loss

from .. import Entry, Requirement, mistake
from ._common import ID


def _clip(model, max_grad_norm):
    clip_grad_norm_(model.parameters(), max_grad_norm)


@mistake("step_before_backward", "optimizer.step() uses the gradients that are in .grad at that "
         "moment: call loss.backward() first, then clip, then step. Stepping before backward "
         "updates with nothing (or with the previous batch's gradients).")
def ts_step_before_backward(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    optimizer.step()
    loss.backward()
    _clip(model, max_grad_norm)
    return loss.item()


@mistake("no_zero_grad", "PyTorch ADDS new gradients to .grad: call optimizer.zero_grad() at the "
         "start of every step, or the second step updates with the sum of both batches' "
         "gradients.")
def ts_no_zero_grad(model, batch, loss_fn, optimizer, max_grad_norm):
    loss = loss_fn(model, batch)
    loss.backward()
    _clip(model, max_grad_norm)
    optimizer.step()
    return loss.item()


@mistake("clip_after_step", "clip the gradients BEFORE optimizer.step(): clipping afterwards "
         "changes gradients that have already been used, so the update is not clipped.")
def ts_clip_after_step(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    optimizer.step()
    _clip(model, max_grad_norm)
    return loss.item()


@mistake("clipping_not_applied", "the update was not clipped: scale the gradients of all "
         "the model's parameters together down to max_grad_norm (torch.nn.utils.clip_grad_norm_) "
         "after loss.backward() and before optimizer.step() (before backward there is nothing "
         "to clip yet).")
def ts_no_clip(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    optimizer.step()
    return loss.item()


@mistake("returns_before_update", "the parameters did not change: the function returns (or "
         "zeroes the gradients) before backward and step have done their work. Return "
         "loss.item() at the very end.")
def ts_returns_early(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    return loss.item()
    loss.backward()  # never reached
    _clip(model, max_grad_norm)
    optimizer.step()


@mistake("returns_tensor", TRAIN_STEP_HINTS["returns_tensor"])
def ts_returns_tensor(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    _clip(model, max_grad_norm)
    optimizer.step()
    return loss


@mistake("clip_by_value", "max_grad_norm bounds the NORM of all gradients together "
         "(clip_grad_norm_), which keeps their direction; clip_grad_value_ cuts each entry "
         "separately and changes the direction.")
def ts_clip_value(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    clip_grad_value_(model.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


@mistake("clip_each_parameter", "clip the norm of ALL the gradients taken together (one call on "
         "model.parameters()), not each parameter's gradient on its own.")
def ts_clip_each(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    for p in model.parameters():
        clip_grad_norm_([p], max_grad_norm)
    optimizer.step()
    return loss.item()


@mistake("max_norm_hardcoded", "clip to the max_grad_norm argument, not to a fixed number.")
def ts_hardcoded(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss.item()


@mistake("always_rescaled", "clipping only shrinks gradients whose total norm EXCEEDS "
         "max_grad_norm; smaller ones stay as they are (scale by min(1, max_norm / norm)).")
def ts_always_rescaled(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        g.mul_(max_grad_norm / norm)
    optimizer.step()
    return loss.item()


REQUIREMENTS = (
    Requirement('the order is zero_grad, forward and loss, backward, clip, step',
                broken_by=('step_before_backward', 'no_zero_grad', 'clip_after_step', 'returns_before_update')),
    Requirement('gradients are clipped by their global norm to max_grad_norm (the argument), all parameters together',
                broken_by=('clipping_not_applied', 'clip_by_value', 'clip_each_parameter', 'max_norm_hardcoded', 'always_rescaled')),
    Requirement("it returns the batch's loss as a Python float",
                broken_by=('returns_tensor',)),
)


ENTRY = Entry(f"{ID}/train_step", train_step_loss, (
    ts_step_before_backward, ts_no_zero_grad, ts_clip_after_step, ts_no_clip, ts_returns_early,
    ts_returns_tensor, ts_clip_value, ts_clip_each, ts_hardcoded, ts_always_rescaled),
    points=3, requirements=REQUIREMENTS)
