"""One small training loop, shared by every lesson and the demos.

Book: *Foundations of LLMs* ch. 1, pre-training by maximum likelihood: the
parameters minimise a loss over the data by gradient descent (Adam-style). One
iteration, in this order:

    zero_grad -> forward -> loss -> backward -> clip gradients -> optimizer step

Peer: Hugging Face ``Trainer`` (``training_step`` + ``max_grad_norm`` +
``evaluate``), without the machinery: no schedulers, devices or callbacks.
The loop is generic: ``loss_fn(model, batch)`` knows what a batch is.

:func:`train_step` returns the loss and the gradient norm (``train`` records both);
:func:`train_step_loss` is the same iteration with lesson 07's signature, returning
the loss only.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils import clip_grad_norm_
from tqdm.auto import tqdm

LossFn = Callable[[nn.Module, Any], Tensor]
EvalFn = Callable[[nn.Module], Any]
Metric = Tensor | float | dict[str, Tensor | float]
Batches = Iterable[Any] | Callable[..., Any]


@dataclass
class History:
    """What :func:`train` saw: one loss (and gradient norm) per step, evaluations by step."""

    losses: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    evals: list[tuple[int, Any]] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return len(self.losses)

    @property
    def final_loss(self) -> float:
        if not self.losses:
            raise ValueError("expected at least one training step, got none")
        return self.losses[-1]


def _batch_stream(batches: Batches, steps: int | None, epochs: int | None,
                  generator: torch.Generator) -> tuple[Iterator[Any], int | None]:
    """An iterator of batches and, when known, its length."""
    if callable(batches):
        if epochs is not None:
            raise ValueError("expected steps=... with a callable batches, got epochs")
        # A callable may take the loop's generator, so random masking per step is seeded.
        try:
            takes_generator = len(inspect.signature(batches).parameters) > 0
        except (TypeError, ValueError):  # some builtins have no signature
            takes_generator = False
        draw = (lambda: batches(generator)) if takes_generator else batches
        return (draw() for _ in range(steps)), steps
    if epochs is not None:
        if isinstance(batches, Iterator):
            raise ValueError("expected a re-iterable (e.g. a list) for epochs, got a one-shot iterator")
        stream = itertools.chain.from_iterable(batches for _ in range(epochs))
        total = len(batches) * epochs if hasattr(batches, "__len__") else None
        return stream, total
    # steps with an iterable: cycle (re-iterating a list; a generator simply runs out).
    source = itertools.cycle(batches) if not isinstance(batches, Iterator) else batches
    return itertools.islice(source, steps), steps


def train_step(model: nn.Module, batch: Any, loss_fn: LossFn, optimizer: torch.optim.Optimizer,
               grad_clip: float | None = 1.0) -> tuple[float, float]:
    """One iteration in the right order; returns (loss, gradient norm before clipping)."""
    optimizer.zero_grad(set_to_none=True)   # 1. forget the last step's gradients
    loss = loss_fn(model, batch)            # 2-3. forward and loss
    if not isinstance(loss, Tensor) or loss.dim() != 0:
        raise ValueError(f"expected loss_fn to return a scalar tensor, got {type(loss).__name__} "
                         f"{tuple(loss.shape) if isinstance(loss, Tensor) else ''}")
    loss.backward()                         # 4. gradients
    params = [p for p in model.parameters() if p.grad is not None]
    # 5. clip (inf = measure only), 6. update
    norm = clip_grad_norm_(params, grad_clip if grad_clip is not None else float("inf"))
    optimizer.step()
    return float(loss.detach()), float(norm)



def train_step_loss(model: nn.Module, batch: Any, loss_fn: LossFn, optimizer: torch.optim.Optimizer,
                    max_grad_norm: float | None) -> float:
    """:func:`train_step` as lesson 07 asks students to write it: the same iteration, the loss only.

    zero_grad -> forward -> loss -> backward -> clip the gradients' total norm to
    ``max_grad_norm`` (``None``: no clipping) -> ``optimizer.step()``; returns the loss
    as a Python float (the gradient norm that :func:`train_step` also returns is
    dropped). Peer: the ``training_step`` + ``max_grad_norm`` of Hugging Face ``Trainer``.
    """
    loss, _norm = train_step(model, batch, loss_fn, optimizer, max_grad_norm)
    return loss

def train(model: nn.Module, batches: Batches, loss_fn: LossFn, *, steps: int | None = None,
          epochs: int | None = None, lr: float = 1e-3, optimizer: torch.optim.Optimizer | None = None,
          weight_decay: float = 0.01, grad_clip: float | None = 1.0, seed: int | None = None,
          generator: torch.Generator | None = None, progress: bool = True,
          eval_fn: EvalFn | None = None, eval_every: int | None = None,
          desc: str = "train") -> History:
    """Train ``model`` for ``steps`` iterations or ``epochs`` passes; returns a :class:`History`.

    ``batches``: an iterable of batches (cycled for ``steps``, passed over for
    ``epochs``) or a callable returning the next batch, called as
    ``batches(generator)`` when it takes an argument. ``loss_fn(model, batch)``
    returns a scalar. ``optimizer`` defaults to ``AdamW(lr, weight_decay)``.
    ``seed`` seeds the generator handed to ``batches`` and torch's global RNG
    (which dropout uses); ``generator`` is used as is when given.
    ``eval_fn(model)`` runs under ``no_grad`` in eval mode every ``eval_every``
    steps and after the last one; results land in ``history.evals``.
    """
    if (steps is None) == (epochs is None):
        raise ValueError(f"expected exactly one of steps or epochs, got steps={steps}, epochs={epochs}")
    for name, value in (("steps", steps), ("epochs", epochs), ("eval_every", eval_every)):
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ValueError(f"expected {name} to be a positive int, got {value!r}")
    if grad_clip is not None and grad_clip <= 0:
        raise ValueError(f"expected grad_clip > 0 or None, got {grad_clip}")
    if seed is not None:
        torch.manual_seed(seed)
    if generator is None:
        generator = torch.Generator().manual_seed(seed if seed is not None else 0)
    if optimizer is None:
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)

    stream, total = _batch_stream(batches, steps, epochs, generator)
    history = History()
    model.train()
    bar = tqdm(stream, total=total, desc=desc, disable=not progress)
    for batch in bar:
        loss, norm = train_step(model, batch, loss_fn, optimizer, grad_clip)
        history.losses.append(loss)
        history.grad_norms.append(norm)
        bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        if eval_fn is not None and eval_every is not None and history.steps % eval_every == 0:
            history.evals.append((history.steps, _run_eval(model, eval_fn)))
    if history.steps:
        bar.set_postfix(loss=f"{history.losses[-1]:.3f}")  # redraw: the bar keeps the final loss
    bar.close()
    if eval_fn is not None and (not history.evals or history.evals[-1][0] != history.steps):
        history.evals.append((history.steps, _run_eval(model, eval_fn)))
    return history


def _run_eval(model: nn.Module, eval_fn: EvalFn) -> Any:
    was_training = model.training
    model.eval()  # no dropout while measuring
    try:
        with torch.no_grad():
            return eval_fn(model)
    finally:
        model.train(was_training)


def evaluate(model: nn.Module, batches: Iterable[Any],
             metric_fn: Callable[[nn.Module, Any], Metric]) -> float | dict[str, float]:
    """Mean of ``metric_fn(model, batch)`` over ``batches``, in eval mode without gradients.

    ``metric_fn`` returns a number (a float or a 0-d tensor) or a dict of them;
    the result is the mean number, or a dict of means, key by key. Each batch
    counts once: for a per-token mean over batches of unequal size, give all
    the data as one batch. The model's train/eval mode is restored afterwards.
    """
    def mean_over_batches(m: nn.Module) -> float | dict[str, float]:
        values = [metric_fn(m, batch) for batch in batches]
        if not values:
            raise ValueError("expected at least one batch to evaluate, got none")
        if isinstance(values[0], dict):
            return {key: sum(float(v[key]) for v in values) / len(values) for key in values[0]}
        return sum(float(v) for v in values) / len(values)

    return _run_eval(model, mean_over_batches)
