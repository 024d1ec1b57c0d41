"""Shared argument checks for the reference implementation.

Every public function of ``reference`` rejects bad input with a ``ValueError``
that names what was expected and what it got, so that a student (or the grader)
reading the message knows what to fix. These helpers keep those messages
uniform. They never modify their arguments. Private module: no book section,
no peer class; the names below are stable for the other ``reference`` modules.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def check_positive_int(value: object, name: str, *, allow_zero: bool = False) -> None:
    """Raise unless ``value`` is an int > 0 (or >= 0 with ``allow_zero``); bools are rejected."""
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"expected {name} to be a {kind} int, got {value!r}")


def check_probability(value: object, name: str) -> None:
    """Raise unless ``value`` is a number in [0, 1) (a dropout rate of 1 drops everything)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"expected {name} to be a float in [0, 1), got {value!r}")


def check_choice(value: object, name: str, choices: Sequence[str]) -> None:
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"expected {name} to be one of {list(choices)}, got {value!r}")


def check_tensor(x: object, name: str, *, ndim: int | Sequence[int] | None = None,
                 layout: str = "") -> None:
    """Raise unless ``x`` is a tensor of rank ``ndim`` (an int or the allowed ranks).

    ``layout`` (e.g. ``"(B, T, E)"``) is only used to make the message readable.
    """
    if not isinstance(x, Tensor):
        raise ValueError(f"expected {name} to be a torch.Tensor, got {type(x).__name__}")
    if ndim is None:
        return
    ranks = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if x.dim() not in ranks:
        wanted = layout or " or ".join(f"{r}-D" for r in ranks)
        raise ValueError(f"expected {name} of shape {wanted}, got shape {tuple(x.shape)}")


def check_float_tensor(x: object, name: str, *, ndim: int | Sequence[int] | None = None,
                       layout: str = "") -> None:
    """Like :func:`check_tensor`, and the dtype must be floating point."""
    check_tensor(x, name, ndim=ndim, layout=layout)
    assert isinstance(x, Tensor)
    if not x.is_floating_point():
        raise ValueError(f"expected {name} to be a floating-point tensor, got dtype {x.dtype}")


def check_ids(ids: object, name: str = "input_ids", *, vocab_size: int | None = None,
              max_len: int | None = None) -> None:
    """Raise unless ``ids`` is a ``(B, T)`` integer tensor with B, T > 0 and ids in [0, vocab_size).

    ``max_len`` additionally bounds T (the number of positions a model knows).
    """
    check_tensor(ids, name, ndim=2, layout="(B, T)")
    assert isinstance(ids, Tensor)
    if ids.is_floating_point() or ids.is_complex() or ids.dtype == torch.bool:
        raise ValueError(f"expected {name} to hold integer token ids (torch.long), got dtype {ids.dtype}")
    if ids.size(0) == 0 or ids.size(1) == 0:
        raise ValueError(f"expected a non-empty {name} (B > 0, T > 0), got shape {tuple(ids.shape)}")
    if max_len is not None and ids.size(1) > max_len:
        raise ValueError(f"expected {name} with at most max_len={max_len} positions, got T={ids.size(1)}")
    if vocab_size is not None:
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or high >= vocab_size:
            raise ValueError(f"expected {name} in [0, {vocab_size}), got min {low}, max {high}")


def check_bool_mask(mask: object, name: str, *, shape: Sequence[int] | None = None,
                    broadcast_to: Sequence[int] | None = None, layout: str = "") -> None:
    """Raise unless ``mask`` is a bool tensor (True = may attend / real token).

    ``shape``: it must have exactly this shape. ``broadcast_to``: it must broadcast
    to this shape without enlarging it (e.g. ``(B, H, T, S)`` for attention).
    """
    check_tensor(mask, name)
    assert isinstance(mask, Tensor)
    if mask.dtype != torch.bool:
        raise ValueError(f"expected {name} to be a bool tensor (True = may attend), got dtype "
                         f"{mask.dtype}; convert with `.bool()` or `mask != 0`")
    if shape is not None and tuple(mask.shape) != tuple(shape):
        where = f"{layout} = " if layout else ""
        raise ValueError(f"expected {name} of shape {where}{tuple(shape)}, "
                         f"got {tuple(mask.shape)}")
    if broadcast_to is not None and not broadcasts_to(mask.shape, broadcast_to):
        where = f"{layout} = " if layout else ""
        raise ValueError(f"expected {name} broadcastable to {where}{tuple(broadcast_to)}, "
                         f"got shape {tuple(mask.shape)}")


def broadcasts_to(shape: Sequence[int], target: Sequence[int]) -> bool:
    """True when a tensor of ``shape`` broadcasts to ``target`` exactly (no new or larger dims)."""
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(reversed(tuple(shape)), reversed(tuple(target)), strict=False))
