"""BART's text infilling: spans of Poisson length, each replaced by a single ``[MASK]``.

Book: *Foundations of LLMs* ch. 1, "BART Model's Use of Diverse Input Corruption
Methods". BART (Lewis et al., 2020, section 2.2): "a number of text spans are sampled,
with span lengths drawn from a Poisson distribution (lambda = 3). Each span is replaced
with a single [MASK] token. 0-length spans correspond to the insertion of [MASK]
tokens." One mask per span hides *how many* tokens are missing, unlike T5's sentinels.
Peer: fairseq ``DenoisingDataset.add_whole_word_mask`` with ``mask_length="span-poisson"``
and ``replace_length=1``.

The procedure (this implementation's own; fairseq's differs in details, e.g. its
spans may overlap):

1. ``budget = ceil(mask_ratio * n)`` body tokens will be masked.
2. Span lengths are drawn from Poisson(``poisson_lambda``) until they add up to at
   least ``budget``; the last one is cut so they add up to exactly ``budget``
   (zero-length spans cost nothing and are kept).
3. The spans, in a random order, go into distinct random gaps between the
   ``n - budget`` kept tokens (``n - budget + 1`` gaps, ends included), so no two
   spans touch; only if there are more spans than gaps do gaps get several spans
   (adjacent ``[MASK]`` tokens).
4. Each span becomes one ``mask_token_id``; a zero-length span inserts one.

Leading ``[CLS]``/``<s>`` and trailing ``[SEP]``/``</s>`` are never corrupted.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ._common import check_generator, check_id, check_ratio, check_tokens, corrupt_count, split_boundary


def poisson_span_lengths(budget: int, poisson_lambda: float,
                         generator: torch.Generator | None = None) -> list[int]:
    """Poisson(``poisson_lambda``) lengths, drawn until they reach ``budget``, the last cut to fit.

    The returned lengths add up to exactly ``budget`` (an empty list when it is 0).
    Draws come in batches sized from ``budget`` and the rate, so they are deterministic.
    """
    lengths: list[int] = []
    total = 0
    batch = max(8, math.ceil(2 * budget / poisson_lambda))  # about twice the spans usually needed
    rates = torch.full((batch,), float(poisson_lambda), dtype=torch.float64)
    while total < budget:
        for length in torch.poisson(rates, generator=generator).long().tolist():
            if total + length >= budget:
                lengths.append(budget - total)  # the last span is cut to the budget
                return lengths
            lengths.append(length)
            total += length
    return lengths


def _gap_of_each_span(num_spans: int, num_gaps: int, generator: torch.Generator | None) -> list[int]:
    """Sorted gap indices in ``[0, num_gaps)``: distinct when possible, so spans never touch."""
    if num_spans <= num_gaps:
        gaps = torch.randperm(num_gaps, generator=generator)[:num_spans]
    else:
        gaps = torch.randint(num_gaps, (num_spans,), generator=generator)
    return sorted(gaps.tolist())


def text_infilling(tokens: Tensor, *, mask_token_id: int, mask_ratio: float = 0.3,
                   poisson_lambda: float = 3.0, generator: torch.Generator | None = None) -> Tensor:
    """BART text infilling of a 1-D long ``tokens`` (no padding): a new, usually shorter, ``(T',)``.

    "the puppies are frolicking outside the house ." -> "the puppies [MASK] the house ."
    Exactly ``ceil(mask_ratio * n)`` of the ``n`` body tokens are removed; each span,
    of length ~ Poisson(``poisson_lambda``) (the last one cut to the budget), becomes
    one ``mask_token_id``, and a zero-length span inserts one. See the module docstring
    for the procedure. ``tokens`` is not modified.
    """
    check_tokens(tokens)
    check_id("mask_token_id", mask_token_id)
    ratio = check_ratio("mask_ratio", mask_ratio)
    if (isinstance(poisson_lambda, bool) or not isinstance(poisson_lambda, (int, float))
            or not 0 < poisson_lambda < math.inf):
        raise ValueError(f"expected poisson_lambda to be a finite number > 0, got {poisson_lambda!r}")
    check_generator(generator)
    head, body, tail = split_boundary(tokens.cpu())
    budget = corrupt_count(body.numel(), ratio)
    if budget == 0:
        return tokens.clone()
    lengths = poisson_span_lengths(budget, poisson_lambda, generator)
    order = torch.randperm(len(lengths), generator=generator).tolist()  # the cut span is not always last
    kept = body.numel() - budget
    gaps = _gap_of_each_span(len(lengths), kept + 1, generator)
    spans_in_gap: list[list[int]] = [[] for _ in range(kept + 1)]
    for gap, i in zip(gaps, order, strict=True):
        spans_in_gap[gap].append(lengths[i])
    out: list[int] = []
    values, pos = body.tolist(), 0
    for gap in range(kept + 1):
        for length in spans_in_gap[gap]:
            out.append(mask_token_id)  # one mask for the whole span
            pos += length
        if gap < kept:
            out.append(values[pos])  # the kept token after this gap
            pos += 1
    body_out = torch.tensor(out, dtype=torch.long)
    return torch.cat([head, body_out, tail]).to(tokens.device)
