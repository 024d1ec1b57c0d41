"""Sequence-to-sequence with recurrent networks (lesson 01).

Source: *Large Language Models: A Deep Dive*, ch. 2, through the course's encoder-decoder
notes: the encoder-decoder architecture before Transformers. The encoder reads embedded
tokens x_1..x_T and updates a hidden state h_t = f(h_{t-1}, x_t); a mapping m squeezes
all states into one context vector c = m(h_1, ..., h_T); the decoder updates s_t = g(s_{t-1}, y_{t-1}, c)
and predicts p(y_t | y_<t, c) = softmax(W_o s_t + b_o). Training feeds the
decoder the true previous tokens (teacher forcing: ``teacher_forcing_batch`` builds
its inputs and labels) and minimises the teacher-forced loss
L = -sum_t log p(y_t | y_<t, c).

Peers: ``torch.nn.RNN(nonlinearity="tanh", batch_first=True)`` for the
encoder loop (our single bias b plays the part of ``bias_ih + bias_hh``), and
the D2L / Sutskever et al. seq2seq, where c also initialises the decoder.

The loops are written out one time step at a time on purpose: that loop is
what students write, and it is where vanishing gradients come from.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from reference.tokenizer import BOS_ID, EOS_ID, PAD_ID

ContextMode = Literal["last", "mean"]
_CONTEXT_MODES = ("last", "mean")


def _check_positive(**sizes: int) -> None:
    for name, value in sizes.items():
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"expected {name} to be a positive int, got {value!r}")


def _check_ids(ids: Tensor, name: str, vocab_size: int) -> None:
    if not isinstance(ids, Tensor):
        raise ValueError(f"expected {name} to be a torch.Tensor, got {type(ids).__name__}")
    if ids.dim() != 2:
        raise ValueError(f"expected {name} of shape (B, T), got shape {tuple(ids.shape)}")
    if ids.dtype != torch.long:
        raise ValueError(f"expected {name} of dtype torch.long, got {ids.dtype}")
    if ids.numel() and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"expected {name} ids in [0, {vocab_size}), "
                         f"got min {int(ids.min())}, max {int(ids.max())}")


class RNNEncoder(nn.Module):
    """Elman RNN encoder: h_t = tanh(W_x x_t + W_h h_{t-1} + b), h_0 = 0.

    Sub-modules: ``embedding`` (x_t), ``input_to_hidden`` (W_x and b),
    ``hidden_to_hidden`` (W_h, no bias: one b is enough). A padded step keeps
    the previous state, so padding never changes the states of real tokens and
    the state at a padded position equals the last real one before it.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, pad_id: int = PAD_ID) -> None:
        super().__init__()
        _check_positive(vocab_size=vocab_size, embed_dim=embed_dim, hidden_size=hidden_size)
        if not 0 <= pad_id < vocab_size:
            raise ValueError(f"expected pad_id in [0, {vocab_size}), got {pad_id}")
        self.vocab_size, self.hidden_size, self.pad_id = vocab_size, hidden_size, pad_id
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.input_to_hidden = nn.Linear(embed_dim, hidden_size)
        self.hidden_to_hidden = nn.Linear(hidden_size, hidden_size, bias=False)

    def cell(self, x_t: Tensor, h_prev: Tensor) -> Tensor:
        """One step: ``(B, E), (B, H) -> (B, H)``."""
        return torch.tanh(self.input_to_hidden(x_t) + self.hidden_to_hidden(h_prev))

    def recurrence(self, x: Tensor, mask: Tensor | None = None, h0: Tensor | None = None) -> Tensor:
        """Run the cell over embedded inputs ``x`` (B, T, E); returns all states (B, T, H).

        ``mask`` (B, T), True = real token; where False the previous state is kept.
        """
        if x.dim() != 3:
            raise ValueError(f"expected x of shape (B, T, E), got shape {tuple(x.shape)}")
        batch, length, _ = x.shape
        if mask is not None and mask.shape != (batch, length):
            raise ValueError(f"expected mask of shape {(batch, length)}, got {tuple(mask.shape)}")
        mask = None if mask is None else mask.bool()
        h = x.new_zeros(batch, self.hidden_size) if h0 is None else h0  # (B, H)
        states = []
        for t in range(length):
            h_new = self.cell(x[:, t], h)  # (B, H)
            # where() rather than arithmetic blending: a padded step must not
            # touch h at all, not even through 0 * NaN.
            h = h_new if mask is None else torch.where(mask[:, t, None], h_new, h)
            states.append(h)
        return torch.stack(states, dim=1)  # (B, T, H)

    def forward(self, src_ids: Tensor, h0: Tensor | None = None) -> Tensor:
        """``src_ids`` (B, T) -> hidden states (B, T, H), padding-aware."""
        _check_ids(src_ids, "src_ids", self.vocab_size)
        return self.recurrence(self.embedding(src_ids), src_ids != self.pad_id, h0)


def context_vector(hidden_states: Tensor, mode: ContextMode = "last",
                   mask: Tensor | None = None) -> Tensor:
    """c = m(h_1, ..., h_T): ``(B, T, H) -> (B, H)``.

    ``"last"``: the state of the last real token (the last position when no
    ``mask``); ``"mean"``: the mean over real tokens. ``mask`` (B, T), True =
    real token. A row without real tokens gives zeros, never NaN.
    """
    if mode not in _CONTEXT_MODES:
        raise ValueError(f"expected mode in {_CONTEXT_MODES}, got {mode!r}")
    if not isinstance(hidden_states, Tensor) or hidden_states.dim() != 3:
        shape = tuple(hidden_states.shape) if isinstance(hidden_states, Tensor) else type(hidden_states).__name__
        raise ValueError(f"expected hidden_states of shape (B, T, H), got {shape}")
    batch, length, _ = hidden_states.shape
    if mask is None:
        mask = hidden_states.new_ones(batch, length, dtype=torch.bool)
    elif mask.shape != (batch, length):
        raise ValueError(f"expected mask of shape {(batch, length)}, got {tuple(mask.shape)}")
    mask = mask.bool()
    weights = mask.to(hidden_states.dtype)  # (B, T)
    if mode == "mean":
        total = (hidden_states * weights[..., None]).sum(dim=1)  # (B, H)
        return total / weights.sum(dim=1, keepdim=True).clamp(min=1.0)
    # Index of the last True per row (works for left padding too).
    positions = torch.arange(length, device=mask.device).expand(batch, length)  # (B, T)
    last = torch.where(mask, positions, -1).max(dim=1).values  # (B,)
    picked = hidden_states[torch.arange(batch), last.clamp(min=0)]  # (B, H)
    return picked * (last >= 0).to(hidden_states.dtype)[:, None]


class RNNDecoder(nn.Module):
    """RNN decoder: s_t = tanh(W_y y_{t-1} + W_s s_{t-1} + W_c c + b), logits = W_o s_t + b_o.

    Sub-modules: ``embedding``, ``input_to_hidden`` (W_y, b), ``hidden_to_hidden``
    (W_s), ``context_to_hidden`` (W_c), ``output`` (W_o, b_o; the softmax is
    taken by the loss and by decoding). The context enters every step, and
    ``init_state`` uses it as s_0 too, as in Sutskever et al.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, pad_id: int = PAD_ID) -> None:
        super().__init__()
        _check_positive(vocab_size=vocab_size, embed_dim=embed_dim, hidden_size=hidden_size)
        if not 0 <= pad_id < vocab_size:
            raise ValueError(f"expected pad_id in [0, {vocab_size}), got {pad_id}")
        self.vocab_size, self.hidden_size, self.pad_id = vocab_size, hidden_size, pad_id
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.input_to_hidden = nn.Linear(embed_dim, hidden_size)
        self.hidden_to_hidden = nn.Linear(hidden_size, hidden_size, bias=False)
        self.context_to_hidden = nn.Linear(hidden_size, hidden_size, bias=False)
        self.output = nn.Linear(hidden_size, vocab_size)

    def init_state(self, context: Tensor) -> Tensor:
        """s_0 = c, ``(B, H) -> (B, H)``."""
        self._check_context(context)
        return context

    def step(self, prev_state: Tensor, prev_token: Tensor, context: Tensor) -> tuple[Tensor, Tensor]:
        """One step: s_{t-1} (B, H), y_{t-1} (B,), c (B, H) -> (s_t (B, H), logits (B, V))."""
        if prev_token.dim() != 1:
            raise ValueError(f"expected prev_token of shape (B,), got {tuple(prev_token.shape)}")
        y_prev = self.embedding(prev_token)  # (B, E)
        state = torch.tanh(self.input_to_hidden(y_prev) + self.hidden_to_hidden(prev_state)
                           + self.context_to_hidden(context))  # (B, H)
        return state, self.output(state)  # (B, H), (B, V)

    def forward(self, tgt_in: Tensor, context: Tensor, state: Tensor | None = None) -> Tensor:
        """Teacher forcing: feed the true y_{t-1} (``tgt_in`` (B, T)) at every step -> logits (B, T, V)."""
        _check_ids(tgt_in, "tgt_in", self.vocab_size)
        self._check_context(context, batch=tgt_in.shape[0])
        state = self.init_state(context) if state is None else state
        logits = []
        for t in range(tgt_in.shape[1]):
            state, step_logits = self.step(state, tgt_in[:, t], context)
            logits.append(step_logits)
        if not logits:
            return context.new_zeros(tgt_in.shape[0], 0, self.vocab_size)
        return torch.stack(logits, dim=1)  # (B, T, V)

    def _check_context(self, context: Tensor, batch: int | None = None) -> None:
        expected = (batch if batch is not None else context.shape[0], self.hidden_size)
        if context.dim() != 2 or tuple(context.shape) != expected:
            raise ValueError(f"expected context of shape (B, H) = {expected}, got {tuple(context.shape)}")


def _check_id(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected {name} to be an int id >= 0, got {value!r}")


def teacher_forcing_batch(tgt_ids: Tensor, bos_id: int = BOS_ID,
                          pad_id: int = PAD_ID) -> tuple[Tensor, Tensor]:
    """The decoder's inputs and labels for teacher forcing, from padded targets.

    ``tgt_ids`` (B, T) long, right-padded with ``pad_id`` -> ``(tgt_in, labels)``, both
    new (B, T) long tensors: ``labels`` is ``tgt_ids`` with -100 at padding (ignored by
    :func:`teacher_forced_loss`), and ``tgt_in = [<s>, y_1, ..., y_{T-1}]`` is the
    targets shifted right by one behind ``bos_id``, so that step t reads the true
    y_{t-1} and is trained to output y_t. ``tgt_ids`` is not modified.

    Peers: ``reference.denoising.shift_right(labels, bos_id, pad_id)`` gives the same
    ``tgt_in`` (lesson 06), as do Hugging Face's ``shift_tokens_right`` (BART) and
    ``T5PreTrainedModel._shift_right``.
    """
    if not isinstance(tgt_ids, Tensor) or tgt_ids.dtype != torch.long:
        kind = f"dtype {tgt_ids.dtype}" if isinstance(tgt_ids, Tensor) else type(tgt_ids).__name__
        raise ValueError(f"expected tgt_ids to be a torch.long tensor, got {kind}")
    if tgt_ids.dim() != 2 or tgt_ids.numel() == 0:
        raise ValueError(f"expected tgt_ids of non-empty shape (B, T), got shape {tuple(tgt_ids.shape)}")
    if bool((tgt_ids < 0).any()):
        raise ValueError(f"expected tgt_ids to be ids >= 0, got {int(tgt_ids.min())}")
    _check_id("bos_id", bos_id)
    _check_id("pad_id", pad_id)
    labels = tgt_ids.masked_fill(tgt_ids == pad_id, -100)  # (B, T)
    bos = torch.full_like(tgt_ids[:, :1], bos_id)  # (B, 1)
    tgt_in = torch.cat([bos, tgt_ids[:, :-1]], dim=1)  # (B, T)
    return tgt_in, labels


def teacher_forced_loss(logits: Tensor, labels: Tensor, reduction: str = "sum") -> Tensor:
    """L = -sum_t log p(y_t | y_<t, c), over every position whose label is not -100.

    ``logits`` (B, T, V), ``labels`` (B, T). ``"sum"`` is the notes' L summed over
    the batch; ``"mean"`` divides by the number of labelled tokens (0, not NaN,
    when there are none, as everywhere in ``reference``).
    """
    if reduction not in ("sum", "mean"):
        raise ValueError(f"expected reduction 'sum' or 'mean', got {reduction!r}")
    if logits.dim() != 3 or labels.shape != logits.shape[:2]:
        raise ValueError(f"expected logits (B, T, V) and labels (B, T), "
                         f"got {tuple(logits.shape)} and {tuple(labels.shape)}")
    if not (labels != -100).any():
        return logits.sum() * 0.0  # nothing to predict; still attached to the graph
    # cross_entropy is -log softmax at the label, i.e. -log p(y_t | y_<t, c).
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100,
                           reduction=reduction)  # (B*T, V) vs (B*T,)


class Seq2SeqRNN(nn.Module):
    """Encoder -> context vector -> decoder. ``forward(src_ids, tgt_in) -> logits (B, T, V)``."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, pad_id: int = PAD_ID,
                 context_mode: ContextMode = "last") -> None:
        super().__init__()
        if context_mode not in _CONTEXT_MODES:
            raise ValueError(f"expected context_mode in {_CONTEXT_MODES}, got {context_mode!r}")
        self.pad_id, self.context_mode = pad_id, context_mode
        self.encoder = RNNEncoder(vocab_size, embed_dim, hidden_size, pad_id)
        self.decoder = RNNDecoder(vocab_size, embed_dim, hidden_size, pad_id)

    def encode(self, src_ids: Tensor) -> Tensor:
        """``src_ids`` (B, S) -> context c (B, H)."""
        states = self.encoder(src_ids)  # (B, S, H)
        return context_vector(states, self.context_mode, src_ids != self.pad_id)

    def forward(self, src_ids: Tensor, tgt_in: Tensor) -> Tensor:
        """Teacher-forced logits (B, T, V) for decoder inputs ``tgt_in`` (<s> y_1 ... y_{T-1})."""
        if src_ids.dim() == 2 and tgt_in.dim() == 2 and src_ids.shape[0] != tgt_in.shape[0]:
            raise ValueError(f"expected src_ids and tgt_in with the same batch size, "
                             f"got {src_ids.shape[0]} and {tgt_in.shape[0]}")
        return self.decoder(tgt_in, self.encode(src_ids))

    def loss(self, src_ids: Tensor, tgt_in: Tensor, labels: Tensor, reduction: str = "sum") -> Tensor:
        """Teacher-forced loss; see :func:`teacher_forced_loss`."""
        return teacher_forced_loss(self(src_ids, tgt_in), labels, reduction)

    @torch.no_grad()
    def generate(self, src_ids: Tensor, max_len: int, bos_id: int = BOS_ID,
                 eos_id: int = EOS_ID) -> Tensor:
        """Greedy decoding: ``(B, S) -> (B, L)``, L <= max_len, ``<s>`` included.

        Same convention as ``reference.models.greedy_decode``: every row starts
        with ``bos_id``, keeps its ``eos_id`` and is ``pad_id`` afterwards.
        """
        _check_positive(max_len=max_len)
        context = self.encode(src_ids)  # (B, H)
        state = self.decoder.init_state(context)
        token = torch.full((src_ids.shape[0],), bos_id, dtype=torch.long, device=src_ids.device)
        done = torch.zeros_like(token, dtype=torch.bool)
        out = [token]
        while len(out) < max_len and not bool(done.all()):
            state, logits = self.decoder.step(state, token, context)
            token = logits.argmax(dim=-1).masked_fill(done, self.pad_id)  # (B,)
            out.append(token)
            done |= token == eos_id
        return torch.stack(out, dim=1)  # (B, L)


__all__ = [
    "ContextMode",
    "RNNDecoder",
    "RNNEncoder",
    "Seq2SeqRNN",
    "context_vector",
    "teacher_forced_loss",
    "teacher_forcing_batch",
]
