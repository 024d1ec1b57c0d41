"""Lesson 01: wrong answers written from the notebook's spec (see the package docstring)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from reference.tokenizer import BOS_ID, PAD_ID


class _EncoderInit(nn.Module):
    """The __init__ the notebook gives the student."""

    def __init__(self, vocab_size, embed_dim, hidden_size, pad_id=PAD_ID):
        super().__init__()
        self.hidden_size, self.pad_id = hidden_size, pad_id
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.input_to_hidden = nn.Linear(embed_dim, hidden_size)
        self.hidden_to_hidden = nn.Linear(hidden_size, hidden_size, bias=False)

    def cell(self, x_t, h):
        return torch.tanh(self.input_to_hidden(x_t) + self.hidden_to_hidden(h))


class EncoderOutputsFreshState(_EncoderInit):
    """Keeps the old state for the next step at padding, but outputs the new one."""

    def forward(self, src_ids):
        x, real = self.embedding(src_ids), (src_ids != self.pad_id).unsqueeze(-1)
        h, out = x.new_zeros(src_ids.shape[0], self.hidden_size), []
        for t in range(src_ids.shape[1]):
            fresh = self.cell(x[:, t], h)
            out.append(fresh)
            h = torch.where(real[:, t], fresh, h)
        return torch.stack(out, dim=1)


class EncoderPadIsZero(_EncoderInit):
    """Blends by arithmetic, with the padding found as the ids that are 0."""

    def forward(self, src_ids):
        x, m = self.embedding(src_ids), (src_ids > 0).float().unsqueeze(-1)
        h, out = x.new_zeros(src_ids.shape[0], self.hidden_size), []
        for t in range(src_ids.shape[1]):
            h = m[:, t] * self.cell(x[:, t], h) + (1 - m[:, t]) * h
            out.append(h)
        return torch.stack(out, dim=1)


class EncoderNoPaddingRule(_EncoderInit):
    """Weights used as matrices, and every position run through the cell."""

    def forward(self, src_ids):
        xw = self.input_to_hidden(self.embedding(src_ids))
        h, out = xw.new_zeros(xw.shape[0], self.hidden_size), []
        for t in range(xw.shape[1]):
            h = torch.tanh(xw[:, t] + h @ self.hidden_to_hidden.weight.T)
            out.append(h)
        return torch.stack(out, dim=1)


class EncoderRelu(_EncoderInit):
    """An einsum recurrence with F.relu."""

    def forward(self, src_ids):
        x, real = self.embedding(src_ids), src_ids != self.pad_id
        w = self.hidden_to_hidden.weight
        h, out = x.new_zeros(src_ids.shape[0], self.hidden_size), []
        for t in range(src_ids.shape[1]):
            new = F.relu(self.input_to_hidden(x[:, t]) + torch.einsum("bh,gh->bg", h, w))
            h = torch.where(real[:, t, None], new, h)
            out.append(h)
        return torch.stack(out, dim=1)


class EncoderTimeFirst(_EncoderInit):
    """torch.stack with its default dim."""

    def forward(self, src_ids):
        x, real = self.embedding(src_ids), src_ids != self.pad_id
        h, out = x.new_zeros(src_ids.shape[0], self.hidden_size), []
        for t in range(src_ids.shape[1]):
            h = torch.where(real[:, t, None], self.cell(x[:, t], h), h)
            out.append(h)
        return torch.stack(out)


class EncoderZeroAtPadding(_EncoderInit):
    """masked_fill puts zeros at padding instead of keeping the state."""

    def forward(self, src_ids):
        x, pad = self.embedding(src_ids), src_ids == self.pad_id
        h, out = x.new_zeros(src_ids.shape[0], self.hidden_size), []
        for t in range(src_ids.shape[1]):
            h = self.cell(x[:, t], h).masked_fill(pad[:, t, None], 0.0)
            out.append(h)
        return torch.stack(out, dim=1)


def context_last_column(hidden_states, mode="last", mask=None):
    if mode == "last":
        return hidden_states[:, hidden_states.size(1) - 1, :]
    m = torch.ones(hidden_states.shape[:2]) if mask is None else mask.float()
    return (hidden_states * m[..., None]).sum(1) / m.sum(1, keepdim=True)


def context_by_length(hidden_states, mode="last", mask=None):
    m = torch.ones(hidden_states.shape[:2], dtype=torch.bool) if mask is None else mask
    if mode == "mean":
        return torch.stack([h[r].mean(0) for h, r in zip(hidden_states, m, strict=True)])
    idx = (m.long().sum(-1) - 1)[:, None, None].expand(-1, 1, hidden_states.shape[2])
    return hidden_states.gather(1, idx).squeeze(1)


def _last_real(hidden_states, mask):
    if mask is None:
        return hidden_states[:, -1]
    rows = [h[r.nonzero()[-1, 0]] for h, r in zip(hidden_states, mask, strict=True)]
    return torch.stack(rows)


def context_plain_mean(hidden_states, mode="last", mask=None):
    if mode == "last":
        return _last_real(hidden_states, mask)
    return hidden_states.mean(dim=1)


def context_mean_over_T(hidden_states, mode="last", mask=None):
    if mode == "last":
        return _last_real(hidden_states, mask)
    m = torch.ones(hidden_states.shape[:2]) if mask is None else mask.float()
    return (hidden_states * m.unsqueeze(2)).sum(1) / hidden_states.shape[1]


def context_mean_last_axis(hidden_states, mode="last", mask=None):
    if mode == "last":
        return _last_real(hidden_states, mask)
    m = torch.ones(hidden_states.shape[:2]) if mask is None else mask.float()
    return (hidden_states * m.unsqueeze(2)).mean(-1)


class _DecoderInit(nn.Module):
    """The __init__ and init_state the notebook gives the student."""

    def __init__(self, vocab_size, embed_dim, hidden_size, pad_id=PAD_ID):
        super().__init__()
        self.hidden_size, self.pad_id = hidden_size, pad_id
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.input_to_hidden = nn.Linear(embed_dim, hidden_size)
        self.hidden_to_hidden = nn.Linear(hidden_size, hidden_size, bias=False)
        self.context_to_hidden = nn.Linear(hidden_size, hidden_size, bias=False)
        self.output = nn.Linear(hidden_size, vocab_size)

    def init_state(self, context):
        return context

    def step(self, prev_state, prev_token, context):
        s = torch.tanh(self.input_to_hidden(self.embedding(prev_token))
                       + self.hidden_to_hidden(prev_state) + self.context_to_hidden(context))
        return s, self.output(s)

    def forward(self, tgt_in, context):
        s, out = self.init_state(context), []
        for t in range(tgt_in.shape[1]):
            s, logits = self.step(s, tgt_in[:, t], context)
            out.append(logits)
        return torch.stack(out, dim=1)


class DecoderContextAsStartOnly(_DecoderInit):
    """c is the first state and never added again."""

    def step(self, prev_state, prev_token, context):
        s = torch.tanh(self.input_to_hidden(self.embedding(prev_token))
                       + prev_state @ self.hidden_to_hidden.weight.T)
        return s, self.output(s)


class DecoderArgmaxFeedback(_DecoderInit):
    """Feeds back its own argmax after the first step."""

    def forward(self, tgt_in, context):
        s, token, out = context, tgt_in[:, 0], []
        for _ in range(tgt_in.shape[1]):
            s, logits = self.step(s, token, context)
            out.append(logits)
            token = logits.argmax(-1)
        return torch.stack(out, dim=1)


class DecoderStepSoftmax(_DecoderInit):
    """The step returns probabilities."""

    def step(self, prev_state, prev_token, context):
        s, logits = super().step(prev_state, prev_token, context)
        return s, F.softmax(logits, dim=1)


class DecoderStackDefault(_DecoderInit):
    """A list comprehension over steps, stacked with torch.stack's default dim."""

    def forward(self, tgt_in, context):
        s, out = self.init_state(context), []
        for token in tgt_in.T:
            s, logits = self.step(s, token, context)
            out.append(logits)
        return torch.stack(out)


class DecoderRestartsEachStep(_DecoderInit):
    """Every step starts again from s_0."""

    def forward(self, tgt_in, context):
        s0 = self.init_state(context)
        return torch.stack([self.step(s0, tgt_in[:, t], context)[1]
                            for t in range(tgt_in.shape[1])], dim=1)


def _labels(tgt_ids, pad_id):
    return torch.where(tgt_ids == pad_id, torch.full_like(tgt_ids, -100), tgt_ids)


def tf_bos_constant(tgt_ids, bos_id, pad_id):
    """Uses the tokenizer's BOS_ID instead of the argument."""
    start = torch.full((tgt_ids.shape[0], 1), BOS_ID, dtype=tgt_ids.dtype)
    return torch.cat((start, tgt_ids[:, :-1]), dim=1), _labels(tgt_ids, pad_id)


def tf_pad_constant(tgt_ids, bos_id, pad_id):
    """Uses the tokenizer's PAD_ID instead of the argument."""
    tgt_in = torch.roll(tgt_ids, 1, dims=1)
    tgt_in[:, 0] = bos_id
    return tgt_in, _labels(tgt_ids, PAD_ID)


def tf_unshifted(tgt_ids, bos_id, pad_id):
    return tgt_ids.detach().clone(), _labels(tgt_ids, pad_id)


def tf_in_place_labels(tgt_ids, bos_id, pad_id):
    tgt_in = F.pad(tgt_ids[:, :-1], (1, 0), value=bos_id)
    labels = tgt_ids
    labels.masked_fill_(labels == pad_id, -100)
    return tgt_in, labels


def tf_both_shifted(tgt_ids, bos_id, pad_id):
    tgt_in = F.pad(tgt_ids[:, :-1], (1, 0), value=bos_id)
    return tgt_in, _labels(tgt_in, pad_id)


def loss_btv_cross_entropy(logits, labels, reduction="sum"):
    """(B, T, V) logits straight into F.cross_entropy."""
    return F.cross_entropy(logits, labels, ignore_index=-100, reduction=reduction)


def loss_raw_logit(logits, labels, reduction="sum"):
    """Picks the label's logit, with no log-softmax."""
    total, count = logits.new_zeros(()), 0
    for b in range(labels.shape[0]):
        for t in range(labels.shape[1]):
            if labels[b, t] != -100:
                total = total - logits[b, t, labels[b, t]]
                count += 1
    return total if reduction == "sum" else total / count


def loss_nll_on_softmax(logits, labels, reduction="sum"):
    probs = F.softmax(logits.reshape(-1, logits.shape[-1]), dim=-1)
    return F.nll_loss(probs, labels.reshape(-1), reduction=reduction)


def loss_divides_by_numel(logits, labels, reduction="sum"):
    total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                            reduction="sum")
    return total if reduction == "sum" else total / labels.numel()


def loss_log_likelihood(logits, labels, reduction="sum"):
    keep = labels != -100
    logp = torch.log_softmax(logits, -1)[keep]  # (N, V)
    picked = logp.gather(1, labels[keep][:, None]).sum()
    return picked if reduction == "sum" else picked / keep.sum()


def loss_ignores_reduction(logits, labels, reduction="sum"):
    return F.cross_entropy(logits.permute(0, 2, 1), labels)


WRONG = [
    ("RNNEncoder", EncoderOutputsFreshState, "padded_output_not_kept"),
    ("RNNEncoder", EncoderPadIsZero, "hardcoded_pad_zero"),
    ("RNNEncoder", EncoderNoPaddingRule, "padding_updates_state"),
    ("RNNEncoder", EncoderRelu, "relu_instead_of_tanh"),
    ("RNNEncoder", EncoderTimeFirst, "states_stacked_time_first"),
    ("RNNEncoder", EncoderZeroAtPadding, "padding_resets_state"),
    ("context_vector", context_last_column, "last_ignores_padding"),
    ("context_vector", context_by_length, "assumes_right_padding"),
    ("context_vector", context_plain_mean, "mean_includes_padding"),
    ("context_vector", context_mean_over_T, "mean_divides_by_full_length"),
    ("context_vector", context_mean_last_axis, "mean_over_wrong_axis"),
    ("RNNDecoder", DecoderContextAsStartOnly, "context_not_fed_each_step"),
    ("RNNDecoder", DecoderArgmaxFeedback, "feeds_own_predictions"),
    ("RNNDecoder", DecoderStepSoftmax, "softmax_in_step"),
    ("RNNDecoder", DecoderStackDefault, "logits_stacked_time_first"),
    ("RNNDecoder", DecoderRestartsEachStep, "state_not_carried"),
    ("teacher_forcing_batch", tf_bos_constant, "hardcoded_bos"),
    ("teacher_forcing_batch", tf_pad_constant, "hardcoded_pad_zero"),
    ("teacher_forcing_batch", tf_unshifted, "no_shift"),
    ("teacher_forcing_batch", tf_in_place_labels, "mutates_input"),
    ("teacher_forcing_batch", tf_both_shifted, "labels_shifted_too"),
    ("teacher_forced_loss", loss_btv_cross_entropy, "class_axis_not_last"),
    ("teacher_forced_loss", loss_raw_logit, "missing_log_softmax"),
    ("teacher_forced_loss", loss_nll_on_softmax, "nll_of_probabilities"),
    ("teacher_forced_loss", loss_divides_by_numel, "mean_over_all_positions"),
    ("teacher_forced_loss", loss_log_likelihood, "missing_minus_sign"),
    ("teacher_forced_loss", loss_ignores_reduction, "always_mean"),
]
