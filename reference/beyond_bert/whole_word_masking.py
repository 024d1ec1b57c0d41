"""Whole-word masking (BERT's released "whole word masking" models, 2019).

Book: *Foundations of LLMs* ch. 1, "Consecutive Token Masking in MLM". A sub-word
tokenizer cuts a rare word into pieces (``phil ##am ##mon``); masking one piece and
leaving the others makes it easy to guess. Whole-word masking selects *words*: when a
word is selected, every one of its tokens is. The replacement (80% ``[MASK]``, 10%
random, 10% kept) then happens token by token, as in BERT's ``create_pretraining_data.py``.

The course's tokenizer is word-level, so the word of each token is given as
``word_ids`` ``(B, T)``: the index of the word a token belongs to within its row, and -1
for special tokens and padding, as Hugging Face's fast tokenizers' ``word_ids()`` give
(with ``None`` for specials). Peer: ``DataCollatorForWholeWordMask``. Deliberate
differences: each word is selected independently with probability ``mlm_probability``
(one draw per word; BERT's script and the collator fill a budget of 15% of the tokens
word by word instead), and random replacements are drawn from the ordinary ids only.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor

from reference._losses import IGNORE_INDEX
from reference.mlm import _check_id, _check_input_ids, _check_probability, _check_special_ids


def whole_word_masking(input_ids: Tensor, word_ids: Tensor, *, mask_token_id: int, vocab_size: int,
                       special_ids: Iterable[int], mlm_probability: float = 0.15,
                       mask_replace_prob: float = 0.8, random_replace_prob: float = 0.1,
                       generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Whole-word masking of a ``(B, T)`` batch: ``(inputs, labels)``, both ``(B, T)`` long.

    ``word_ids`` ``(B, T)`` long: the word index of each token in its row (0, 1, ...),
    -1 at special tokens and padding. Each word is selected with probability
    ``mlm_probability`` and all its tokens with it; each selected token then becomes
    ``mask_token_id`` with probability ``mask_replace_prob``, a random ordinary id with
    ``random_replace_prob``, and stays otherwise. ``labels``: the original id at selected
    tokens, -100 elsewhere. Random numbers: ``torch.rand((B, W))`` (one per word, ``W`` the
    largest word index + 1), then ``torch.rand((B, T))`` and ``torch.randint``.
    """
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 1:
        raise ValueError(f"expected vocab_size to be a positive int, got {vocab_size!r}")
    _check_input_ids(input_ids, vocab_size)
    if not isinstance(word_ids, Tensor) or word_ids.shape != input_ids.shape:
        got = tuple(word_ids.shape) if isinstance(word_ids, Tensor) else type(word_ids).__name__
        raise ValueError(f"expected word_ids of shape (B, T) = {tuple(input_ids.shape)}, got {got}")
    _check_id("mask_token_id", mask_token_id, vocab_size)
    specials = _check_special_ids(special_ids, vocab_size)
    p_select = _check_probability("mlm_probability", mlm_probability)
    p_mask = _check_probability("mask_replace_prob", mask_replace_prob)
    p_random = _check_probability("random_replace_prob", random_replace_prob)
    ids, words = input_ids.cpu(), word_ids.cpu().long()
    num_words = int(words.max()) + 1 if words.numel() else 0
    chosen = torch.rand((ids.shape[0], max(num_words, 1)), generator=generator) < p_select  # (B, W)
    in_word = words >= 0  # (B, T)
    selected = torch.gather(chosen, 1, words.clamp(min=0)) & in_word  # (B, T): the word's draw
    selected &= ~torch.isin(ids, specials)
    action = torch.rand(ids.shape, generator=generator)  # (B, T), one draw per token
    to_mask = selected & (action < p_mask)
    to_random = selected & (action >= p_mask) & (action < p_mask + p_random)
    pool = torch.ones(vocab_size, dtype=torch.bool)
    pool[specials] = False
    pool = pool.nonzero().squeeze(1)  # (N,) the ordinary ids
    random_ids = pool[torch.randint(len(pool), ids.shape, generator=generator)]  # (B, T)
    inputs = torch.where(to_random, random_ids, ids.masked_fill(to_mask, mask_token_id))
    labels = ids.masked_fill(~selected, IGNORE_INDEX)
    return inputs.to(input_ids.device), labels.to(input_ids.device)


__all__ = ["whole_word_masking"]
