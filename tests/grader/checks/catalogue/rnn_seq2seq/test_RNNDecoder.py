"""Lesson 01, ``RNNDecoder``: a bank of correct decoders (one concatenated weight matrix,
a loop that does not call step, einsum) passes, visible and hidden; the tolerance keeps its
margin; an unused parameter is told as the mistake, not as a cut graph."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import grader
from grader.checks.catalogue.rnn_seq2seq.RNNDecoder import DecoderContextOnlyAtStart
from reference.rnn import RNNDecoder
from reference.tokenizer import PAD_ID

from ._common import assert_passes, assert_within_tolerance, exercise_id, modes, name_of

NAME = "RNNDecoder"


class _DecoderInit(nn.Module):
    """The __init__ and init_state the notebook gives."""

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


class DecoderConcatenated(_DecoderInit):
    """One matrix [W_y | W_s | W_c] applied to the concatenation [y; s; c]."""

    def step(self, prev_state, prev_token, context):
        w = torch.cat([self.input_to_hidden.weight, self.hidden_to_hidden.weight,
                       self.context_to_hidden.weight], dim=1)
        z = torch.cat([self.embedding(prev_token), prev_state, context], dim=1)
        state = torch.tanh(z @ w.T + self.input_to_hidden.bias)
        return state, state @ self.output.weight.T + self.output.bias

    def forward(self, tgt_in, context):
        state, out = self.init_state(context), []
        for t in range(tgt_in.shape[1]):
            state, logits = self.step(state, tgt_in[:, t], context)
            out.append(logits)
        return torch.stack(out, 1)


class DecoderInlined(_DecoderInit):
    """forward does not call step: the context term is computed once, the embeddings all at
    once, and the output layer is applied to all states at the end."""

    def step(self, prev_state, prev_token, context):
        pre = (self.input_to_hidden(self.embedding(prev_token)) + self.hidden_to_hidden(prev_state)
               + self.context_to_hidden(context))
        state = torch.tanh(pre)
        return state, self.output(state)

    def forward(self, tgt_in, context):
        y = self.input_to_hidden(self.embedding(tgt_in))  # (B, T, H)
        c = self.context_to_hidden(context)  # (B, H)
        s = self.init_state(context)
        states = []
        for t in range(tgt_in.shape[1]):
            s = torch.tanh(y[:, t] + self.hidden_to_hidden(s) + c)
            states.append(s)
        return self.output(torch.stack(states, dim=1))


class DecoderEinsum(_DecoderInit):
    """einsum for every product; logits preallocated and filled with torch.stack per step."""

    def step(self, prev_state, prev_token, context):
        y = self.embedding(prev_token)
        pre = (torch.einsum("be,he->bh", y, self.input_to_hidden.weight) + self.input_to_hidden.bias
               + torch.einsum("bk,hk->bh", prev_state, self.hidden_to_hidden.weight)
               + torch.einsum("bk,hk->bh", context, self.context_to_hidden.weight))
        state = torch.tanh(pre)
        return state, torch.einsum("bh,vh->bv", state, self.output.weight) + self.output.bias

    def forward(self, tgt_in, context):
        state = self.init_state(context)
        logits = []
        for token in tgt_in.unbind(dim=1):
            state, step_logits = self.step(state, token, context)
            logits.append(step_logits)
        return torch.stack(logits).permute(1, 0, 2)


DECODER_ALTERNATIVES = [RNNDecoder, DecoderConcatenated, DecoderInlined, DecoderEinsum]



@pytest.mark.parametrize("candidate", DECODER_ALTERNATIVES, ids=name_of)
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(candidate, hidden, seed):
    """Every correct decoder in the bank passes, visible and hidden, for several seeds."""
    assert_passes(NAME, candidate, hidden, seed)


def test_tolerance_holds_with_a_margin():
    """float32 decoders against the float64 reference stay 5x inside the tolerance."""
    assert_within_tolerance(NAME, DECODER_ALTERNATIVES)


def test_unused_parameter_is_told_as_the_mistake_not_as_a_cut_graph():
    """A decoder that never uses context_to_hidden gets no gradient there; the feedback
    names the mistake from the values instead of blaming a cut graph."""
    result = grader.check(exercise_id(NAME), DecoderContextOnlyAtStart.fn)
    assert result.layer == "values" and result.mistake == "context_not_fed_each_step"
    assert "no gradient reached" not in result.feedback

