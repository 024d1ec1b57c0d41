"""Lesson 01, ``RNNEncoder``: a bank of correct encoders (arithmetic blending or
torch.where for padding, a loop per sentence, inputs projected all at once, einsum) passes,
visible and hidden; the tolerance keeps its margin; the cases hold what the mistakes need."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import grader
from grader.checks.engine import cases_for
from grader.checks.registry import get
from reference.rnn import RNNEncoder
from reference.tokenizer import PAD_ID

from ._common import assert_passes, assert_within_tolerance, exercise_id, modes, name_of

NAME = "RNNEncoder"


class _EncoderInit(nn.Module):
    """The __init__ the notebook gives (the parameter names the checks load)."""

    def __init__(self, vocab_size, embed_dim, hidden_size, pad_id=PAD_ID):
        super().__init__()
        self.hidden_size, self.pad_id = hidden_size, pad_id
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.input_to_hidden = nn.Linear(embed_dim, hidden_size)
        self.hidden_to_hidden = nn.Linear(hidden_size, hidden_size, bias=False)


class EncoderArithmeticBlend(_EncoderInit):
    """Padding by arithmetic: h = m * h_new + (1 - m) * h."""

    def forward(self, src_ids):
        x = self.embedding(src_ids)
        m = (src_ids != self.pad_id).to(x.dtype).unsqueeze(-1)  # (B, T, 1)
        h = torch.zeros(src_ids.shape[0], self.hidden_size, dtype=x.dtype)
        out = []
        for t in range(src_ids.shape[1]):
            h_new = torch.tanh(self.input_to_hidden(x[:, t]) + self.hidden_to_hidden(h))
            h = m[:, t] * h_new + (1 - m[:, t]) * h
            out.append(h)
        return torch.stack(out, 1)


class EncoderProjectFirst(_EncoderInit):
    """All input projections W_x x_t + b computed at once, weights used as matrices."""

    def forward(self, src_ids):
        xw = self.input_to_hidden(self.embedding(src_ids))  # (B, T, H)
        w_h = self.hidden_to_hidden.weight
        real = src_ids != self.pad_id
        h = xw.new_zeros(xw.shape[0], xw.shape[2])
        out = []
        for t in range(xw.shape[1]):
            cand = torch.tanh(xw[:, t] + h @ w_h.T)
            h = torch.where(real[:, t].unsqueeze(1), cand, h)
            out.append(h)
        return torch.stack(out, dim=1)


class EncoderPerSentence(_EncoderInit):
    """One sentence at a time in plain Python, skipping padding, then padded states filled."""

    def forward(self, src_ids):
        rows = []
        for ids in src_ids:
            x = self.embedding(ids)  # (T, E)
            h = x.new_zeros(self.hidden_size)
            states = []
            for t in range(len(ids)):
                if int(ids[t]) != self.pad_id:
                    h = torch.tanh(self.input_to_hidden(x[t]) + self.hidden_to_hidden(h))
                states.append(h)
            rows.append(torch.stack(states))
        return torch.stack(rows)


class EncoderIndexedUpdate(_EncoderInit):
    """Only the real rows updated, by indexing into a copy of the previous state."""

    def forward(self, src_ids):
        x = self.embedding(src_ids)
        b, t_len = src_ids.shape
        h = torch.zeros(b, self.hidden_size, dtype=x.dtype)
        out = []
        for t in range(t_len):
            real = src_ids[:, t] != self.pad_id
            h = h.clone()
            h[real] = torch.tanh(self.input_to_hidden(x[real, t]) + self.hidden_to_hidden(h[real]))
            out.append(h)
        return torch.stack(out, dim=1)


class EncoderEinsum(_EncoderInit):
    """einsum and F.linear, with the state list preallocated as a tensor."""

    def forward(self, src_ids):
        x = self.embedding(src_ids)
        b, t_len, _ = x.shape
        states = x.new_zeros(b, t_len, self.hidden_size)
        h = x.new_zeros(b, self.hidden_size)
        for t in range(t_len):
            pre = F.linear(x[:, t], self.input_to_hidden.weight, self.input_to_hidden.bias)
            pre = pre + torch.einsum("bh,kh->bk", h, self.hidden_to_hidden.weight)
            keep = (src_ids[:, t] == self.pad_id)[:, None]
            h = torch.where(keep, h, torch.tanh(pre))
            states = states.index_put((torch.arange(b), torch.full((b,), t)), h)
        return states


ENCODER_ALTERNATIVES = [RNNEncoder, EncoderArithmeticBlend, EncoderProjectFirst,
                        EncoderPerSentence, EncoderIndexedUpdate, EncoderEinsum]


@pytest.mark.parametrize("candidate", ENCODER_ALTERNATIVES, ids=name_of)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct encoder in the bank passes, visible and hidden, for several seeds."""
    assert_passes(NAME, candidate, hidden, seed)


def test_tolerance_holds_with_a_margin():
    """float32 encoders against the float64 reference stay 5x inside the tolerance (the
    full measurement, 200 seeds, is quoted beside the tolerance)."""
    assert_within_tolerance(NAME, ENCODER_ALTERNATIVES)


def test_wrong_parameter_names_are_explained():
    """A module whose parameters differ from the given __init__ fails with a clear reason."""

    class Renamed(_EncoderInit):
        def __init__(self, vocab_size, embed_dim, hidden_size, pad_id=PAD_ID):
            super().__init__(vocab_size, embed_dim, hidden_size, pad_id)
            self.w_h = self.hidden_to_hidden
            del self.hidden_to_hidden

        def forward(self, src_ids):
            raise AssertionError("never reached")

    result = grader.check(exercise_id("RNNEncoder"), Renamed)
    assert not result.passed and "given __init__" in result.feedback



def test_cases_hold_padding_of_every_kind():
    """Cases hold right padding with the shortest row in the middle of the batch, left
    padding, a pad id other than 0 next to real tokens with id 0, and distinct sizes."""
    for hidden in (False, True):
        enc = {c.name: c for c in cases_for(get(exercise_id(NAME)), hidden=hidden, seed=3)}
        right, left = enc["right padding"], enc["left padding, pad_id != 0"]
        b, t = right.inputs["src_ids"].shape
        init = right.args["init"]
        assert len({b, t, init["embed_dim"], init["hidden_size"], init["vocab_size"]}) == 5
        lengths = (right.inputs["src_ids"] != 0).sum(1)
        assert lengths[1] == lengths.min() < t and lengths[0] == t
        pad = left.args["init"]["pad_id"]
        ids = left.inputs["src_ids"]
        assert pad != 0 and (ids == 0).any() and (ids[:, 0] == pad).any() and (ids[:, -1] != pad).all()
