"""Masked language modelling (BERT): corrupt a batch, predict the selected tokens.

Book: *Foundations of LLMs* ch. 1, "Masked Language Modeling" and "Token Selection and
Modification Strategy in BERT's MLM": select 15% of the tokens; of those, replace 80%
with ``[MASK]``, 10% with a random token and keep 10% unchanged (so the model cannot
learn that only ``[MASK]`` positions matter, the pre-train/fine-tune discrepancy);
the loss is the cross-entropy on the selected positions only.

Peer: Hugging Face ``DataCollatorForLanguageModeling.torch_mask_tokens`` and the
``labels=`` loss of ``BertForMaskedLM``. Differences, on purpose: randomness comes
only from an injected ``torch.Generator``; random replacements are drawn from the
non-special ids only (HF draws from the whole vocabulary); and a batch with nothing
selected gives a loss of 0 instead of NaN.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor

from ._losses import IGNORE_INDEX, check_logits_and_targets, masked_token_mean_nll


def _check_probability(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"expected {name} to be a probability in [0, 1], got {value!r}")
    return float(value)


def _check_id(name: str, value: object, vocab_size: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < vocab_size:
        raise ValueError(f"expected {name} to be an int id in [0, {vocab_size}), got {value!r}")
    return value


def _check_input_ids(input_ids: object, vocab_size: int) -> Tensor:
    if not isinstance(input_ids, Tensor) or input_ids.dtype != torch.long:
        kind = f"dtype {input_ids.dtype}" if isinstance(input_ids, Tensor) else type(input_ids).__name__
        raise ValueError(f"expected input_ids to be a torch.long tensor, got {kind}")
    if input_ids.dim() != 2:
        raise ValueError(f"expected input_ids of shape (B, T), got shape {tuple(input_ids.shape)} "
                         "(use input_ids.unsqueeze(0) for one sequence)")
    if input_ids.numel() == 0:
        raise ValueError(f"expected a non-empty batch, got shape {tuple(input_ids.shape)}")
    low, high = input_ids.min().item(), input_ids.max().item()
    if low < 0 or high >= vocab_size:
        raise ValueError(f"expected input_ids in [0, {vocab_size}), got values in [{low}, {high}]")
    return input_ids


def _check_special_ids(special_ids: object, vocab_size: int) -> Tensor:
    if isinstance(special_ids, Tensor):
        special_ids = special_ids.tolist()
    if not isinstance(special_ids, Iterable) or isinstance(special_ids, (str, bytes)):
        raise ValueError(f"expected special_ids to be a collection of int ids, got {type(special_ids).__name__}")
    ids = list(special_ids)
    for i in ids:
        _check_id("every special id", i, vocab_size)
    return torch.tensor(sorted(set(ids)), dtype=torch.long)


def mask_tokens(input_ids: Tensor, *, mask_token_id: int, vocab_size: int, special_ids: Iterable[int],
                mlm_probability: float = 0.15, mask_replace_prob: float = 0.8,
                random_replace_prob: float = 0.1,
                generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """BERT's masking of a ``(B, T)`` long batch: returns ``(inputs, labels)``, both ``(B, T)`` long.

    - each token whose id is not in ``special_ids`` is selected with probability
      ``mlm_probability`` (so ``[PAD]``, ``[CLS]``, ``[SEP]`` ... never are, provided
      ``special_ids`` lists them, e.g. ``reference.tokenizer.SPECIAL_IDS``);
    - a selected token becomes ``mask_token_id`` with probability ``mask_replace_prob``,
      a random id drawn uniformly from the ids in ``[0, vocab_size)`` that are not
      special with probability ``random_replace_prob`` (it may equal the original),
      and is kept otherwise;
    - ``labels`` holds the original id at selected positions and -100 elsewhere.

    ``input_ids`` is never modified. Random numbers: two ``torch.rand`` draws of shape
    ``(B, T)`` (selection, then the 80/10/10 choice) and one ``torch.randint`` (the
    random ids), all from ``generator`` on the CPU; the same seed gives the same output.
    """
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 1:
        raise ValueError(f"expected vocab_size to be a positive int, got {vocab_size!r}")
    _check_input_ids(input_ids, vocab_size)
    _check_id("mask_token_id", mask_token_id, vocab_size)
    specials = _check_special_ids(special_ids, vocab_size)
    p_select = _check_probability("mlm_probability", mlm_probability)
    p_mask = _check_probability("mask_replace_prob", mask_replace_prob)
    p_random = _check_probability("random_replace_prob", random_replace_prob)
    if p_mask + p_random > 1.0 + 1e-12:
        raise ValueError("expected mask_replace_prob + random_replace_prob <= 1, "
                         f"got {p_mask} + {p_random} = {p_mask + p_random}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"expected generator to be a torch.Generator or None, got {type(generator).__name__}")
    candidates = torch.ones(vocab_size, dtype=torch.bool)
    candidates[specials] = False
    candidates = candidates.nonzero().squeeze(1)  # (N,) the non-special ids
    if p_random > 0 and candidates.numel() == 0:
        raise ValueError("expected at least one non-special id to draw random replacements from, got none")

    ids = input_ids.cpu()  # random numbers are drawn on the CPU, where the generator lives
    shape = ids.shape
    special = torch.isin(ids, specials)  # (B, T)
    selected = (torch.rand(shape, generator=generator) < p_select) & ~special
    action = torch.rand(shape, generator=generator)  # one draw splits 80 / 10 / 10
    to_mask = selected & (action < p_mask)
    to_random = selected & (action >= p_mask) & (action < p_mask + p_random)
    inputs = ids.masked_fill(to_mask, mask_token_id)  # a new tensor: input_ids stays as it was
    if candidates.numel() > 0:
        random_ids = candidates[torch.randint(candidates.numel(), shape, generator=generator)]
        inputs = torch.where(to_random, random_ids, inputs)
    labels = ids.masked_fill(~selected, IGNORE_INDEX)
    return inputs.to(input_ids.device), labels.to(input_ids.device)


def mlm_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy over the selected positions (``labels != -100``) only: a scalar.

    ``logits``: ``(B, T, V)`` float from the MLM head; ``labels``: ``(B, T)`` long from
    :func:`mask_tokens`. Averaging over *all* positions would dilute the loss by the
    ~85% of positions that carry no label. When no position is selected the loss is
    0 (with a gradient of zeros), where ``F.cross_entropy`` would give NaN.
    Peer: ``F.cross_entropy(logits.view(-1, V), labels.view(-1))`` (ignore_index=-100).
    """
    check_logits_and_targets(logits, labels, IGNORE_INDEX, targets_name="labels")
    return masked_token_mean_nll(logits, labels, IGNORE_INDEX)


__all__ = ["mask_tokens", "mlm_loss"]
