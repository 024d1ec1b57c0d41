"""TransformerEmbedding: a bank of correct embeddings (the sinusoid as a persistent
buffer, computed in forward, or a frozen table) passes; a frozen table is not the
catalogued trainable one."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import grader
from grader.checks.catalogue.transformer_encoder.TransformerEmbedding import EmbAlwaysLearned
from reference.embeddings import sinusoidal_positional_encoding as reference_pe

from ._common import assert_passes, assert_tolerance_margin, bank_params, modes, xid
from .test_sinusoidal_positional_encoding import pe_exp_log, pe_pow

NAME = "TransformerEmbedding"


class EmbPersistentBuffer(nn.Module):
    """The sinusoid as a persistent buffer (it is in the state dict; the checks keep it)."""

    def __init__(self, vocab_size, d_model, max_len, positional="sinusoidal", dropout=0.0, pad_id=0):
        super().__init__()
        self.d_model = d_model
        self.token = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        if positional == "learned":
            self.position = nn.Embedding(max_len, d_model)
        else:
            self.position = None
            self.register_buffer("pe", reference_pe(max_len, d_model))
        self.dropout = nn.Dropout(dropout)

    def forward(self, input_ids):
        t = input_ids.shape[1]
        pos = self.position(torch.arange(t)) if self.position is not None else self.pe[:t]
        return self.dropout(self.token(input_ids) * math.sqrt(self.d_model) + pos.unsqueeze(0))


class EmbComputedInForward(nn.Module):
    """No buffer: the sinusoid is computed in forward, in the input's dtype; F.dropout."""

    def __init__(self, vocab_size, d_model, max_len, positional="sinusoidal", dropout=0.0, pad_id=0):
        super().__init__()
        self.p = dropout
        self.learned = positional == "learned"
        self.token = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.position = nn.Embedding(max_len, d_model) if self.learned else None

    def forward(self, input_ids):
        b, t = input_ids.shape
        tok = self.token(input_ids)
        d = tok.shape[-1]
        if self.learned:
            pos = self.position(torch.arange(t).expand(b, t))
        else:
            pos = pe_exp_log(t, d).to(tok.dtype)
        x = tok * torch.tensor(float(d)).sqrt() + pos
        return F.dropout(x, self.p, training=self.training)


class EmbFrozenTable(nn.Module):
    """The sinusoid as a frozen nn.Embedding (a parameter that is not trained)."""

    def __init__(self, vocab_size, d_model, max_len, positional="sinusoidal", dropout=0.0, pad_id=0):
        super().__init__()
        self.scale = d_model ** 0.5
        self.token = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        if positional == "learned":
            self.position = nn.Embedding(max_len, d_model)
        else:
            self.position = None
            self.table = nn.Embedding.from_pretrained(pe_pow(max_len, d_model), freeze=True)
        self.drop = nn.Dropout(dropout)

    def forward(self, input_ids):
        positions = torch.arange(input_ids.size(1))
        table = self.position if self.position is not None else self.table
        return self.drop(self.scale * self.token(input_ids) + table(positions)[None])


BANK = [EmbPersistentBuffer, EmbComputedInForward, EmbFrozenTable]


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("candidate", bank_params(NAME, BANK))
def test_correct_alternative_passes(candidate, hidden, seed):
    """Any correct embedding passes: the sinusoid as a buffer, computed in forward or a
    frozen table; positions by nn.Embedding or by slicing; nn.Dropout or F.dropout."""
    assert_passes(NAME, candidate, hidden, seed)


def test_untrained_position_table_is_not_a_learned_parameter():
    """For positional='sinusoidal' the reference has no position parameter: a trainable
    table there is the catalogued mistake, a frozen one (requires_grad=False) is fine."""
    assert grader.check(xid(NAME), EmbFrozenTable).passed
    result = grader.check(xid(NAME), EmbAlwaysLearned.fn)
    assert result.mistake == "learned_table_always"


def test_tolerance_keeps_its_margin():
    """The bank stays well inside the tolerance (a few seeds here)."""
    assert_tolerance_margin(NAME, BANK)
