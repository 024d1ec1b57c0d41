"""Temperature, top-k and nucleus (top-p) filtering, and sampling the next token (lesson 09).

Book: *Foundations of LLMs* ch. 2, decoding by sampling. The next token is drawn from
softmax(logits / temperature) after two optional filters, in this order (as Hugging
Face's ``generate`` applies its warpers):

1. **temperature** T > 0 divides the logits: T < 1 sharpens the distribution, T > 1
   flattens it, T = 1 leaves it (Ackley, Hinton and Sejnowski 1985; peer
   ``TemperatureLogitsWarper``);
2. **top-k** keeps the tokens whose logit is at least the k-th largest logit of the row,
   so tokens tied with the k-th are all kept (Fan, Lewis and Dauphin 2018; peer
   ``TopKLogitsWarper``, which keeps ties the same way); k = 0 keeps everything;
3. **top-p (nucleus)** keeps the smallest set of most probable tokens whose total
   probability reaches p (Holtzman et al. 2020): a token is kept when the probability
   mass of the tokens STRICTLY more probable than it is below p. The token that makes
   the running total reach p is kept; tokens tied with it are kept too; the most
   probable token is always kept; p = 1 keeps everything. Peer ``TopPLogitsWarper``,
   which agrees on inputs without ties (it sorts, so it breaks ties arbitrarily).

Removed tokens get the logit ``-inf`` (probability exactly 0 after the softmax).
"""

from __future__ import annotations

import torch
from torch import Tensor

from reference._checks import check_float_tensor

NEG_INF = float("-inf")


def apply_temperature(logits: Tensor, temperature: float) -> Tensor:
    """``logits / temperature`` for ``temperature > 0``: ``(..., V) -> (..., V)``."""
    check_float_tensor(logits, "logits", layout="(..., V)")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"expected a temperature > 0, got {temperature!r}")
    return logits / temperature


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """Keep each row's ``k`` largest logits (and any tied with the k-th); the rest -> ``-inf``.

    ``logits`` ``(..., V)``; ``k = 0`` or ``k >= V`` keeps every token. Returns a new tensor.
    """
    check_float_tensor(logits, "logits", layout="(..., V)")
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"expected k, an int >= 0, got {k!r}")
    if k == 0 or k >= logits.size(-1):
        return logits.clone()
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]  # (..., 1): the k-th largest value
    return logits.masked_fill(logits < kth, NEG_INF)  # (..., V)


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    """Keep the smallest set of most probable tokens whose probability reaches ``p``.

    Token j of a row is kept when sum of softmax(logits)[i] over the tokens i with
    logits[i] > logits[j] is < p (so the most probable token is always kept, ties at the
    boundary are all kept, and p = 1 keeps every token); the rest get ``-inf``.
    ``logits`` ``(..., V)``, ``0 < p <= 1``. Returns a new tensor.
    """
    check_float_tensor(logits, "logits", layout="(..., V)")
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p <= 1:
        raise ValueError(f"expected p in (0, 1], got {p!r}")
    if p == 1:
        return logits.clone()
    probs = torch.softmax(logits, dim=-1)  # (..., V)
    above = logits.unsqueeze(-2) > logits.unsqueeze(-1)  # (..., V, V): [j, i] = i beats j
    mass_above = (above * probs.unsqueeze(-2)).sum(dim=-1)  # (..., V)
    return logits.masked_fill(mass_above >= p, NEG_INF)  # (..., V)


def sample_next_token(logits: Tensor, temperature: float = 1.0, top_k: int = 0,
                      top_p: float = 1.0, *, generator: torch.Generator | None = None) -> Tensor:
    """Draw one next token per row of ``logits`` ``(B, V)``: long ids ``(B,)``.

    Temperature first, then top-k, then top-p (each on the result of the one before),
    then one draw per row from the softmax of what is left, with ``generator`` (``None``:
    torch's global one). A filtered-out token is never drawn. Draws are made on the CPU.
    """
    check_float_tensor(logits, "logits", ndim=2, layout="(B, V)")
    scores = top_p_filter(top_k_filter(apply_temperature(logits, temperature), top_k), top_p)
    probs = torch.softmax(scores.detach().double().cpu(), dim=-1)  # (B, V)
    ids = torch.multinomial(probs, 1, generator=generator).squeeze(-1)  # (B,)
    return ids.to(logits.device)
