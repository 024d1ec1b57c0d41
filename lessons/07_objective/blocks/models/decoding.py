"""Greedy autoregressive decoding (lesson 04).

Book: *Foundations of LLMs* ch. 2, inference with a generative model: start
from ``<s>``, repeatedly pick the most probable next token
y_i = argmax Pr(y | y_<i, x) and append it, until ``</s>`` or a length limit.
Peer: Hugging Face ``model.generate(..., do_sample=False, num_beams=1)``.
The whole prefix is re-decoded each step (no key/value cache): simpler, and
cheap at the course's sizes.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .._checks import check_ids, check_positive_int
from ..masks import padding_mask
from .encoder_decoder import EncoderDecoder
from ..tokenizer import BOS_ID, EOS_ID, PAD_ID


def greedy_decode(model: EncoderDecoder, src_ids: Tensor, max_len: int, bos_id: int = BOS_ID,
                  eos_id: int = EOS_ID, pad_id: int = PAD_ID) -> Tensor:
    """Decode ``src_ids`` ``(B, S)`` greedily; returns long ids ``(B, L)`` with L <= max_len.

    Every row starts with ``bos_id``; a row that produced ``eos_id`` is padded
    with ``pad_id`` afterwards; decoding stops when every row is finished or at
    ``max_len`` tokens (``<s>`` included). ``model`` needs ``encode(src_ids,
    src_mask)`` and ``decode(tgt_ids, memory, src_mask)``; it runs in eval mode
    without gradients and gets its training flag back afterwards.
    """
    check_ids(src_ids, "src_ids")
    check_positive_int(max_len, "max_len")
    was_training = model.training
    model.eval()  # no dropout: greedy decoding must be deterministic
    try:
        with torch.no_grad():
            return _greedy_loop(model, src_ids, max_len, bos_id, eos_id, pad_id)
    finally:
        model.train(was_training)


def _greedy_loop(model: EncoderDecoder, src_ids: Tensor, max_len: int, bos_id: int,
                 eos_id: int, pad_id: int) -> Tensor:
    src_mask = padding_mask(src_ids, pad_id)  # (B, S)
    memory = model.encode(src_ids, src_mask)  # (B, S, E), computed once
    ys = torch.full((src_ids.size(0), 1), bos_id, dtype=torch.long, device=src_ids.device)  # (B, 1)
    finished = torch.zeros(src_ids.size(0), dtype=torch.bool, device=src_ids.device)  # (B,)
    while ys.size(1) < max_len and not bool(finished.all()):
        logits = model.decode(ys, memory, src_mask)  # (B, L, V)
        next_ids = logits[:, -1].argmax(dim=-1)  # (B,): the prediction after the last token
        next_ids = next_ids.masked_fill(finished, pad_id)  # finished rows only get padding
        ys = torch.cat([ys, next_ids[:, None]], dim=1)  # (B, L + 1)
        finished = finished | (next_ids == eos_id)
    return ys
