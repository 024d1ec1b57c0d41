"""Span masking (SpanBERT; Joshi et al. 2020, sec. 3.1): mask runs of consecutive tokens.

Book: *Foundations of LLMs* ch. 1, "Consecutive Token Masking in MLM". BERT picks tokens
one by one, so the model can often guess a masked token from its unmasked neighbours of
the same phrase. SpanBERT masks whole spans instead:

- a span's length is drawn from a geometric distribution, ``P(l) = p (1 - p)^(l - 1)``,
  with ``p = 0.2``, clipped at ``max_len = 10``: the paper keeps lengths 1..10 and
  renormalises (its released code does so), which gives the mean length of 3.8 it quotes;
- spans are drawn until 15% of the (ordinary) tokens are selected: the budget is counted
  in tokens, not in spans;
- the 80/10/10 replacement is decided once per span: the whole span becomes ``[MASK]``,
  or random tokens, or stays as it is.

SpanBERT measures a span in whole words; the course's tokenizer is word-level, so a word
is a token here. Peer: SpanBERT's ``PairWithSpanMaskingScheme`` (fairseq fork). Deliberate
differences: a span stops before a special token, before a token already selected and
once the budget is reached (the released code may run on into masked tokens), the
budget is ``ceil(mask_ratio * n)`` ordinary tokens of each row, and random replacements
are drawn from the ordinary ids only (as in ``reference.mlm``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor

from reference._checks import check_positive_int
from reference._losses import IGNORE_INDEX
from reference.mlm import _check_id, _check_input_ids, _check_probability, _check_special_ids


def span_length_probs(p: float = 0.2, max_len: int = 10) -> Tensor:
    """``(max_len,)`` float64: ``P(l)`` for ``l = 1..max_len``, the geometric clipped at ``max_len``."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 < p <= 1.0:
        raise ValueError(f"expected p to be a probability in (0, 1], got {p!r}")
    check_positive_int(max_len, "max_len")
    lengths = torch.arange(1, max_len + 1, dtype=torch.float64)  # (L,)
    weights = p * (1.0 - p) ** (lengths - 1)  # (L,)
    return weights / weights.sum()  # (L,) renormalised over 1..max_len


def span_lengths(n: int, *, p: float = 0.2, max_len: int = 10,
                 generator: torch.Generator | None = None) -> Tensor:
    """``n`` span lengths ``(n,)`` long in ``1..max_len``, from the geometric distribution
    with success probability ``p`` clipped (truncated and renormalised) at ``max_len``.

    One ``torch.multinomial`` draw (with replacement) from ``generator``.
    """
    check_positive_int(n, "n", allow_zero=True)
    probs = span_length_probs(p, max_len)  # (L,)
    if n == 0:
        return torch.zeros(0, dtype=torch.long)
    return torch.multinomial(probs, n, replacement=True, generator=generator) + 1  # (n,)


def _select_spans(special: Tensor, budget: int, p: float, max_len: int,
                  generator: torch.Generator | None) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` (end exclusive) of one row until ``budget`` tokens are selected."""
    eligible = (~special).nonzero().squeeze(1)  # (N,) positions of ordinary tokens
    taken = torch.zeros_like(special)
    spans: list[tuple[int, int]] = []
    count = 0
    while count < budget:
        length = int(span_lengths(1, p=p, max_len=max_len, generator=generator))
        start = int(eligible[torch.randint(len(eligible), (1,), generator=generator)])
        if taken[start]:
            continue
        end = start
        while end < start + length and end < len(special) and not special[end] \
                and not taken[end] and count < budget:
            taken[end] = True
            end += 1
            count += 1
        spans.append((start, end))
    return spans


def span_masking(input_ids: Tensor, *, mask_token_id: int, vocab_size: int, special_ids: Iterable[int],
                 mask_ratio: float = 0.15, p: float = 0.2, max_len: int = 10,
                 mask_replace_prob: float = 0.8, random_replace_prob: float = 0.1,
                 generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """SpanBERT's masking of a ``(B, T)`` long batch: ``(inputs, labels)``, both ``(B, T)`` long.

    In each row, spans (lengths from :func:`span_lengths`, starts uniform over the row's
    ordinary tokens, a start already selected drawn again) are selected until exactly
    ``ceil(mask_ratio * n)`` of the row's ``n`` ordinary tokens are; a span stops early at
    a special token, a selected token, the row's end or the budget. Then one draw per span:
    with ``mask_replace_prob`` every token of the span becomes ``mask_token_id``, with
    ``random_replace_prob`` each becomes a random ordinary id, otherwise the span is kept.
    ``labels`` holds the original id at selected positions and -100 elsewhere.
    ``input_ids`` is never modified.
    """
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 1:
        raise ValueError(f"expected vocab_size to be a positive int, got {vocab_size!r}")
    _check_input_ids(input_ids, vocab_size)
    _check_id("mask_token_id", mask_token_id, vocab_size)
    specials = _check_special_ids(special_ids, vocab_size)
    ratio = _check_probability("mask_ratio", mask_ratio)
    p_mask = _check_probability("mask_replace_prob", mask_replace_prob)
    p_random = _check_probability("random_replace_prob", random_replace_prob)
    words = torch.ones(vocab_size, dtype=torch.bool)
    words[specials] = False
    words = words.nonzero().squeeze(1)  # (N,) the ordinary ids
    ids = input_ids.cpu()
    special = torch.isin(ids, specials)  # (B, T)
    inputs, labels = ids.clone(), torch.full_like(ids, IGNORE_INDEX)
    for row in range(ids.shape[0]):
        budget = math.ceil(ratio * int((~special[row]).sum()))
        for start, end in _select_spans(special[row], budget, p, max_len, generator):
            labels[row, start:end] = ids[row, start:end]
            action = float(torch.rand((), generator=generator))
            if action < p_mask:
                inputs[row, start:end] = mask_token_id
            elif action < p_mask + p_random:
                pick = torch.randint(len(words), (end - start,), generator=generator)  # (l,)
                inputs[row, start:end] = words[pick]
    return inputs.to(input_ids.device), labels.to(input_ids.device)


__all__ = ["span_length_probs", "span_lengths", "span_masking"]
