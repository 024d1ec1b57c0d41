"""Argument checks, the boundary rule and the random choice shared by the corruptions (private).

The boundary rule, BART's convention: fairseq's ``DenoisingDataset`` keeps the
sequence's first token (``<s>``) and last token (``</s>``) out of every noising
function. Here a leading run of ``[CLS]`` / ``<s>`` and a trailing run of ``[SEP]`` /
``</s>`` stay where they are, uncorrupted; only the body between them is corrupted.
Every other token, specials included, is an ordinary token of the body.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor

from ..tokenizer import BOS_ID, CLS_ID, EOS_ID, SEP_ID

LEADING_IDS = frozenset({CLS_ID, BOS_ID})
TRAILING_IDS = frozenset({SEP_ID, EOS_ID})


def check_tokens(tokens: object) -> Tensor:
    """A non-empty 1-D ``torch.long`` tensor of non-negative ids, or ``ValueError``."""
    if not isinstance(tokens, Tensor) or tokens.dtype != torch.long:
        kind = f"dtype {tokens.dtype}" if isinstance(tokens, Tensor) else type(tokens).__name__
        raise ValueError(f"expected tokens to be a torch.long tensor, got {kind}")
    if tokens.dim() != 1:
        raise ValueError(f"expected tokens of shape (T,), one sequence without padding, "
                         f"got shape {tuple(tokens.shape)}")
    if tokens.numel() == 0:
        raise ValueError("expected a non-empty sequence of tokens, got shape (0,)")
    if (tokens < 0).any():
        raise ValueError(f"expected token ids >= 0, got {tokens.min().item()}")
    return tokens


def check_ratio(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"expected {name} to be a probability in [0, 1], got {value!r}")
    return float(value)


def check_id(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected {name} to be an int id >= 0, got {value!r}")
    return value


def check_ids(name: str, values: object) -> list[int]:
    """A non-empty list of distinct ids from an int or a collection of ints."""
    if isinstance(values, Tensor):
        values = values.tolist()
    if isinstance(values, int) and not isinstance(values, bool):
        values = [values]
    if not isinstance(values, Iterable) or isinstance(values, (str, bytes)):
        raise ValueError(f"expected {name} to be an int or a collection of int ids, got {type(values).__name__}")
    ids = [check_id(f"every id in {name}", v) for v in values]
    if not ids or len(set(ids)) != len(ids):
        raise ValueError(f"expected {name} to be a non-empty collection of distinct ids, got {ids}")
    return ids


def check_generator(generator: object) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"expected generator to be a torch.Generator or None, got {type(generator).__name__}")
    return generator


def split_boundary(tokens: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(head, body, tail)``: leading ``[CLS]``/``<s>`` run, the body, trailing ``[SEP]``/``</s>`` run."""
    values = tokens.tolist()
    start = 0
    while start < len(values) and values[start] in LEADING_IDS:
        start += 1
    end = len(values)
    while end > start and values[end - 1] in TRAILING_IDS:
        end -= 1
    return tokens[:start], tokens[start:end], tokens[end:]


def corrupt_count(n: int, ratio: float) -> int:
    """``ceil(ratio * n)`` (as fairseq), ignoring float noise: 20 * 0.15 gives 3, not 4."""
    return min(n, math.ceil(n * ratio - 1e-9))


def chosen_positions(n: int, ratio: float, generator: torch.Generator | None) -> Tensor:
    """A bool ``(n,)`` mask with ``ceil(ratio * n)`` True entries at uniformly random places.

    One ``torch.randperm(n, generator=...)``: the draw token masking and token deletion share.
    """
    chosen = torch.zeros(n, dtype=torch.bool)
    chosen[torch.randperm(n, generator=generator)[: corrupt_count(n, ratio)]] = True
    return chosen
