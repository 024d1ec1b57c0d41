"""The next-token distribution and greedy autoregressive decoding (lesson 04).

Book: *Foundations of LLMs* ch. 2, inference with a generative model: the decoder's
states are projected to the vocabulary and normalised by a softmax,
Pr(y_i | y_<i, x) (``next_token_probs``; Vaswani et al. 2017, sec. 3.4). Greedy
decoding starts from ``<s>``, repeatedly picks the most probable next token
y_i = argmax Pr(y | y_<i, x) and appends it, until ``</s>`` or a length limit.
Peer: Hugging Face ``model.generate(..., do_sample=False, num_beams=1)``.
The whole prefix is re-decoded each step (no key/value cache): simpler, and
cheap at the course's sizes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .._checks import check_float_tensor, check_ids, check_positive_int
from ..masks import padding_mask
from .encoder_decoder import EncoderDecoder
from ..tokenizer import BOS_ID, EOS_ID, PAD_ID


def next_token_probs(decoder_states: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """Probabilities of the next token at every position: ``(B, T, E) -> (B, T, V)``.

    ``softmax(decoder_states @ weight.T + bias)`` over the vocabulary (the last axis):
    position i gives Pr(y_{i+1} | y_<=i, x), and each row sums to 1. ``weight`` ``(V, E)``
    and ``bias`` ``(V,)`` are the output projection, as in ``nn.Linear(E, V)`` (peer:
    ``torch.softmax(lm_head(states), dim=-1)``, e.g. Hugging Face
    ``BartForConditionalGeneration.lm_head``).
    """
    check_float_tensor(decoder_states, "decoder_states", ndim=3, layout="(B, T, E)")
    check_float_tensor(weight, "weight", ndim=2, layout="(V, E)")
    check_float_tensor(bias, "bias", ndim=1, layout="(V,)")
    if weight.size(1) != decoder_states.size(-1) or bias.size(0) != weight.size(0):
        raise ValueError(f"expected weight (V, E) and bias (V,) with E = {decoder_states.size(-1)} "
                         f"(the last axis of decoder_states), got weight {tuple(weight.shape)} "
                         f"and bias {tuple(bias.shape)}")
    logits = F.linear(decoder_states, weight, bias)  # (B, T, V)
    return torch.softmax(logits, dim=-1)  # (B, T, V)


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
