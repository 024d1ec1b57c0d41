"""T5's span corruption: noise spans become sentinels; the targets spell the spans out.

Book: *Foundations of LLMs* ch. 1, "Span-Based Denoising as an Encoder-Decoder Training
Objective". T5 (Raffel et al., 2020, section 3.1.4 and Figure 2):

    original: thank you for inviting me to your party last week .
    inputs:   thank you <X> me to your party <Y> week .
    targets:  <X> for inviting <Y> last <Z>

"the dropped-out spans, delimited by the sentinel tokens used to replace them in the
input plus a final sentinel token". Peer: ``random_spans_noise_mask`` and
``noise_span_to_unique_sentinel`` in T5's preprocessors (and Hugging Face's
``run_t5_mlm_flax.py``).

What this implementation does, for a body of ``n`` tokens (never ``[CLS]``/``<s>``
first or ``[SEP]``/``</s>`` last, see below):

1. ``num_noise = round(noise_density * n)``, clipped to ``[1, n - 1]`` (T5's rule:
   something to predict, something to read); ``round`` is half-to-even, as ``tf.round``.
2. ``num_spans = max(1, round(num_noise / mean_span_length))``, at most ``num_noise``
   and at most ``n - num_noise + 1`` (spans need a kept token between them).
3. Noise span lengths: a uniformly random composition of ``num_noise`` into
   ``num_spans`` positive parts (as T5). Placement: uniformly random among layouts
   where spans are separated by at least one kept token. T5's code always starts with
   a kept span and ends with a noise span; here either end may be either, so the
   final "." of a document is not always corrupted.
4. ``inputs``: span ``i`` replaced by ``sentinel_ids[i]``. ``targets``: for each span
   ``sentinel_ids[i]`` then its tokens, then the final ``sentinel_ids[num_spans]``.

Boundary tokens: a leading ``[CLS]``/``<s>`` run stays at the front of ``inputs`` only;
a trailing ``[SEP]``/``</s>`` run ends both ``inputs`` and ``targets`` (T5 appends
``</s>`` to both after corrupting).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ._common import check_generator, check_ids, check_ratio, check_tokens, split_boundary


def random_composition(total: int, parts: int, generator: torch.Generator | None = None,
                       *, minimum: int = 1) -> list[int]:
    """``parts`` integers >= ``minimum`` adding up to ``total``, uniform over all such lists.

    Stars and bars: after giving each part its minimum, ``parts - 1`` bars are placed
    uniformly among the ``rest + parts - 1`` slots (one ``torch.randperm``).
    """
    rest = total - parts * minimum
    if parts < 1 or rest < 0:
        raise ValueError(f"expected {parts} parts >= {minimum} to fit in {total}")
    bars = sorted(torch.randperm(rest + parts - 1, generator=generator)[: parts - 1].tolist())
    cuts = [-1, *bars, rest + parts - 1]
    return [cuts[i + 1] - cuts[i] - 1 + minimum for i in range(parts)]


def _count_spans(n: int, noise_density: float, mean_span_length: float) -> tuple[int, int]:
    num_noise = min(max(round(noise_density * n), 1), n - 1)
    num_spans = max(1, round(num_noise / mean_span_length))
    return num_noise, min(num_spans, num_noise, n - num_noise + 1)


def span_corruption(tokens: Tensor, *, sentinel_ids: Sequence[int], noise_density: float = 0.15,
                    mean_span_length: float = 3.0,
                    generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """T5 span corruption of a 1-D long ``tokens`` (no padding): ``(inputs, targets)``, both 1-D long.

    ``sentinel_ids``: the ids of ``<extra_id_0>``, ``<extra_id_1>``, ... in order
    (``reference.tokenizer.SENTINEL_IDS``); a sequence with ``k`` spans needs ``k + 1``
    of them. The body must hold at least 2 tokens. See the module docstring for the
    exact procedure. Inputs and targets together reconstruct ``tokens``; ``tokens`` is
    not modified.
    """
    check_tokens(tokens)
    sentinels = check_ids("sentinel_ids", sentinel_ids)
    density = check_ratio("noise_density", noise_density)
    if (isinstance(mean_span_length, bool) or not isinstance(mean_span_length, (int, float))
            or not 1.0 <= mean_span_length < float("inf")):
        raise ValueError(f"expected mean_span_length to be a finite number >= 1, got {mean_span_length!r}")
    check_generator(generator)
    head, body, tail = split_boundary(tokens.cpu())
    n = body.numel()
    if n < 2:
        raise ValueError(f"expected at least 2 tokens to corrupt (besides [CLS]/<s>/[SEP]/</s>), got {n}")
    num_noise, num_spans = _count_spans(n, density, mean_span_length)
    if len(sentinels) < num_spans + 1:
        raise ValueError(f"expected at least {num_spans + 1} sentinel ids for {num_spans} noise spans "
                         f"in {n} tokens, got {len(sentinels)}")
    noise_lengths = random_composition(num_noise, num_spans, generator)
    # Kept tokens: num_spans + 1 runs; the inner ones are >= 1 so spans never touch.
    kept = random_composition(n - num_noise + 2, num_spans + 1, generator)
    kept[0] -= 1
    kept[-1] -= 1
    inputs, targets = head.tolist(), []
    values, pos = body.tolist(), 0
    for i, length in enumerate(noise_lengths):
        inputs += values[pos: pos + kept[i]]
        pos += kept[i]
        inputs.append(sentinels[i])
        targets += [sentinels[i], *values[pos: pos + length]]
        pos += length
    inputs += values[pos:] + tail.tolist()
    targets += [sentinels[num_spans], *tail.tolist()]
    return (torch.tensor(inputs, dtype=torch.long, device=tokens.device),
            torch.tensor(targets, dtype=torch.long, device=tokens.device))
