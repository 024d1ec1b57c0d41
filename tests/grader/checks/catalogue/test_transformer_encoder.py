"""Lesson 03 (the Transformer encoder): every correct alternative passes, every
catalogued mistake fails with its own id, in visible and in hidden mode.

Run as a script (``python -m tests.grader.test_transformer_encoder [seeds]``) it
measures the tolerances: the largest error of the bank of correct float32
implementations against the float64 reference, over many seeds.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import math
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import grader
import grader.checks.engine as engine
from grader.checks.catalogue import transformer_encoder as catalogue
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import get
from grader.labkit import evidence, notebook
from grader.labkit.compare import GRAD_PREFIX
from reference.attention import MultiHeadAttention
from reference.embeddings import sinusoidal_positional_encoding as reference_pe
from reference.layers import EncoderLayer as ReferenceEncoderLayer
from reference.layers import FeedForward as ReferenceFeedForward

LESSON = "03_transformer_encoder"
HIDDEN_SEEDS = (3, 11)
ROOT = Path(__file__).resolve().parents[4]
SOLUTION = ROOT / "solutions" / LESSON
NOTEBOOK = SOLUTION / f"{LESSON}.ipynb"
MISTAKE_FILES = sorted((SOLUTION / "mistakes").glob("*__*.py"))
QUESTIONS = ("order_without_positions", "skip_connections", "encoder_output_shape")


def xid(name: str) -> str:
    return f"{LESSON}/{name}"


@pytest.fixture(scope="module", autouse=True)
def _cache_trusted_outputs():
    """Each check recomputes the reference and every mistake on its cases; the tests
    check dozens of candidates on the same cases, so cache those outputs by exercise
    and case contents (the verdicts themselves are not cached)."""
    cache: dict[str, object] = {}
    original = engine.expected_and_mistakes

    def cached(ex, case):
        h = hashlib.sha256(f"{ex.id}|{case.name}|{case.describe}|{sorted(case.args.items(), key=str)}".encode())
        for k in sorted(case.inputs):
            h.update(k.encode())
            h.update(case.inputs[k].contiguous().numpy().tobytes())
        key = h.hexdigest()
        if key not in cache:
            cache[key] = original(ex, case)
        return cache[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "expected_and_mistakes", cached)
        yield


def modes():
    return [pytest.param(False, None, id="visible")] + [
        pytest.param(True, s, id=f"hidden-{s}") for s in HIDDEN_SEEDS]


# =========================================================================== the bank
# Correct alternatives, written as different students would. Each must pass.

# --- sinusoidal_positional_encoding -------------------------------------------------------

def pe_exp_log(max_len, d_model):
    """The Annotated-Transformer form in float32: exp(-2i ln(10000) / d)."""
    pe = torch.zeros(max_len, d_model)
    position = torch.arange(0, max_len).unsqueeze(1).float()
    div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)[:, : d_model // 2]
    return pe


def pe_pow(max_len, d_model):
    """10000 ** (2i / d) in float32, divided."""
    pos = torch.arange(max_len, dtype=torch.float32)[:, None]
    freq = 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    angle = pos / freq
    pe = torch.empty(max_len, d_model)
    pe[:, ::2] = angle.sin()
    pe[:, 1::2] = angle.cos()[:, : d_model // 2]
    return pe


def pe_python_loop(max_len, d_model):
    """Plain Python with math.sin / math.cos, then a tensor."""
    rows = []
    for pos in range(max_len):
        row = []
        for j in range(d_model):
            angle = pos / 10000 ** (2 * (j // 2) / d_model)
            row.append(math.sin(angle) if j % 2 == 0 else math.cos(angle))
        rows.append(row)
    return torch.tensor(rows)


def pe_stack_interleave(max_len, d_model):
    """sin and cos stacked on a last axis and flattened, which interleaves them."""
    half = (d_model + 1) // 2
    pos = torch.arange(max_len).float().unsqueeze(-1)
    inv = 1.0 / (10000 ** (torch.arange(half).float() * 2 / d_model))
    angle = pos * inv  # (L, ceil(d/2))
    return torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(1)[:, :d_model]


def pe_numpy(max_len, d_model):
    """NumPy in float64, converted at the end."""
    pos = np.arange(max_len)[:, None]
    j = np.arange(d_model)[None, :]
    angle = pos / np.power(10000.0, (2 * (j // 2)) / d_model)
    pe = np.where(j % 2 == 0, np.sin(angle), np.cos(angle))
    return torch.from_numpy(pe)


def pe_phase_shift(max_len, d_model):
    """cos(a) written as sin(a + pi/2), one sine for the whole table."""
    j = torch.arange(d_model)
    angle = torch.arange(max_len)[:, None] * torch.exp(-(j - j % 2) * math.log(10000.0) / d_model)
    return torch.sin(angle + (j % 2) * math.pi / 2)


# --- TransformerEmbedding -------------------------------------------------------------------

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


# --- FeedForward ----------------------------------------------------------------------------

class FFModules(nn.Module):
    """Activation as a module (nn.ReLU / nn.GELU), no parameters of its own."""

    def __init__(self, d_model, d_ff, dropout=0.0, activation="relu"):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.act = nn.GELU() if activation == "gelu" else nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x):
        return self.linear2(self.dropout(self.act(self.linear1(x))))


class FFByHand(nn.Module):
    """F.linear, ReLU as clamp, GELU written with erf."""

    def __init__(self, d_model, d_ff, dropout=0.0, activation="relu"):
        super().__init__()
        self.activation = activation
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x):
        h = F.linear(x, self.linear1.weight, self.linear1.bias)
        if self.activation == "relu":
            h = h.clamp(min=0)
        else:
            h = 0.5 * h * (1 + torch.erf(h / math.sqrt(2.0)))
        return F.linear(h, self.linear2.weight, self.linear2.bias)


class FFEinsum(nn.Module):
    """einsum over the feature axis; the activation looked up with getattr."""

    def __init__(self, d_model, d_ff, dropout=0.0, activation="relu"):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.act = getattr(F, activation)

    def forward(self, x):
        h = self.act(torch.einsum("bte,fe->btf", x, self.linear1.weight) + self.linear1.bias)
        return torch.einsum("btf,ef->bte", h, self.linear2.weight) + self.linear2.bias


# --- sublayer_connection ----------------------------------------------------------------------

def conn_one_liner(x, sublayer, norm, norm_first=False):
    return x + sublayer(norm(x)) if norm_first else norm(x + sublayer(x))


def conn_harvard_style(x, sublayer, norm, norm_first=False):
    """Keep the residual, transform, add back, then normalise for post-norm."""
    residual = x
    if norm_first:
        x = norm(x)
    x = sublayer(x)
    x = residual + x
    if not norm_first:
        x = norm(x)
    return x


def conn_torch_add(x, sublayer, norm, norm_first=False):
    if not norm_first:
        return norm(torch.add(x, sublayer(x)))
    return torch.add(x, sublayer(norm(x)), alpha=1.0)


# --- EncoderLayer -------------------------------------------------------------------------------

class LayerWithConnection(nn.Module):
    """The notebook's way: two sublayer_connection calls."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu", norm_first=False,
                 layer_norm_eps=1e-5):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = ReferenceFeedForward(d_model, d_ff, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)

    def forward(self, x, mask=None):
        x = catalogue.sublayer_connection(x, lambda h: self.self_attn(h, h, h, mask)[0], self.norm1,
                                          self.norm_first)
        return catalogue.sublayer_connection(x, self.ff, self.norm2, self.norm_first)


class _FusedAttention(nn.Module):
    """A student's own attention with the same parameter names, on F.scaled_dot_product_attention."""

    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__()
        self.h = num_heads
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)

    def forward(self, query, key, value, mask=None):
        b, t, e = query.shape

        def heads(x):
            return x.view(b, -1, self.h, e // self.h).transpose(1, 2)

        out = F.scaled_dot_product_attention(heads(self.q_proj(query)), heads(self.k_proj(key)),
                                             heads(self.v_proj(value)), attn_mask=mask)
        return self.out_proj(out.transpose(1, 2).reshape(b, t, e)), None


class LayerExplicit(nn.Module):
    """Branches written out, functional layer_norm with the module's weights, own attention."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu", norm_first=False,
                 layer_norm_eps=1e-5):
        super().__init__()
        self.pre = norm_first
        self.eps = layer_norm_eps
        self.self_attn = _FusedAttention(d_model, num_heads, dropout)
        self.ff = FFModules(d_model, d_ff, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.drop1, self.drop2 = nn.Dropout(dropout), nn.Dropout(dropout)

    def _ln(self, norm, x):
        return F.layer_norm(x, x.shape[-1:], norm.weight, norm.bias, self.eps)

    def forward(self, x, mask=None):
        if self.pre:
            h = self._ln(self.norm1, x)
            x = x + self.drop1(self.self_attn(h, h, h, mask)[0])
            x = x + self.drop2(self.ff(self._ln(self.norm2, x)))
        else:
            attn_out, _ = self.self_attn(x, x, x, mask=mask)
            x = self._ln(self.norm1, x + self.drop1(attn_out))
            x = self._ln(self.norm2, x + self.drop2(self.ff(x)))
        return x


# --- Encoder --------------------------------------------------------------------------------------

class StackIdentityNorm(nn.Module):
    """nn.Identity instead of None for post-norm (it has no parameters)."""

    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__()
        self.layers = nn.ModuleList([ReferenceEncoderLayer(d_model, num_heads, d_ff, dropout, activation,
                                                           norm_first, layer_norm_eps)
                                     for _ in range(num_layers)])
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps) if norm_first else nn.Identity()

    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x, mask=mask)
        return self.norm(x)


class StackDeepcopy(nn.Module):
    """One layer deep-copied num_layers times (torch's _get_clones): independent weights."""

    def __init__(self, num_layers, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__()
        layer = LayerWithConnection(d_model, num_heads, d_ff, dropout, activation, norm_first, layer_norm_eps)
        self.layers = nn.ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])
        self.norm_first = norm_first
        if norm_first:
            self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        else:
            self.norm = None

    def forward(self, x, mask=None):
        x = functools.reduce(lambda h, layer: layer(h, mask), self.layers, x)
        return self.norm(x) if self.norm_first else x


BANK = {
    "sinusoidal_positional_encoding": [catalogue.sinusoidal_positional_encoding, pe_exp_log, pe_pow,
                                       pe_python_loop, pe_stack_interleave, pe_numpy, pe_phase_shift],
    "TransformerEmbedding": [catalogue.TransformerEmbedding, EmbPersistentBuffer, EmbComputedInForward,
                             EmbFrozenTable],
    "FeedForward": [ReferenceFeedForward, FFModules, FFByHand, FFEinsum],
    "sublayer_connection": [catalogue.sublayer_connection, conn_one_liner, conn_harvard_style, conn_torch_add],
    "EncoderLayer": [ReferenceEncoderLayer, LayerWithConnection, LayerExplicit],
    "Encoder": [catalogue.Encoder, StackIdentityNorm, StackDeepcopy],
    "order_without_positions": ["b", " B"],
    "skip_connections": ["b", "B "],
    "encoder_output_shape": [(1, 15, 768), [1, 15, 768], torch.Size([1, 15, 768])],
}
FLOAT_EXERCISES = ("sinusoidal_positional_encoding", "TransformerEmbedding", "FeedForward",
                   "sublayer_connection", "EncoderLayer", "Encoder")


def _bank_params():
    return [pytest.param(name, cand, id=f"{name}-{getattr(cand, '__name__', repr(cand))}")
            for name, cands in BANK.items() for cand in cands]


def _mistake_params():
    return [pytest.param(name, m, id=f"{name}-{m.id}")
            for name in BANK for m in get(xid(name)).entry.mistakes]


# =========================================================================== tests


def test_every_lesson_exercise_has_a_bank():
    """The bank covers every exercise of the lesson, so none is untested."""
    assert sorted(grader.list_exercises(LESSON)) == sorted(xid(n) for n in BANK)


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("name, candidate", _bank_params())
def test_correct_alternative_passes(name, candidate, hidden, seed):
    """Any correct implementation passes (float32 or float64 tables, buffers or tables
    computed in forward, activation modules or functions, explicit branches or the
    notebook's sublayer_connection, ModuleList or deep copies...)."""
    result = grader.check(xid(name), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


@pytest.mark.parametrize("hidden, seed", modes())
@pytest.mark.parametrize("name, mist", _mistake_params())
def test_catalogued_mistake_is_named(name, mist, hidden, seed):
    """Each catalogued mistake fails with its own id and hint, in short feedback."""
    result = grader.check(xid(name), mist.fn, hidden=hidden, seed=seed)
    assert not result.passed
    assert result.mistake == mist.id, result.feedback
    assert mist.hint in result.feedback
    assert len(result.feedback.splitlines()) < 15, result.feedback


def test_mistake_ids_are_unique_per_exercise():
    """Mistake ids identify a diagnosis within an exercise, so they never repeat."""
    for name in BANK:
        ids = [m.id for m in get(xid(name)).entry.mistakes]
        assert len(ids) == len(set(ids)), name


def test_the_course_mistakes_are_catalogued():
    """The mistakes the course lists for this lesson are all in the catalogue."""
    wanted = {
        "sinusoidal_positional_encoding": {"sin_cos_swapped", "sin_cos_concatenated", "exponent_i_over_d"},
        "TransformerEmbedding": {"positions_not_added", "scaled_after_adding", "missing_scale"},
        "FeedForward": {"activation_after_linear2"},
        "sublayer_connection": {"missing_residual", "norm_order_swapped"},
        "EncoderLayer": {"missing_residual_attention", "norm_order_swapped", "same_norm_twice",
                         "mask_ignored"},
        "Encoder": {"final_norm_missing", "final_norm_in_post_norm", "layers_share_weights",
                    "first_layer_repeated"},
    }
    for name, ids in wanted.items():
        assert ids <= {m.id for m in get(xid(name)).entry.mistakes}, name


def _not_implemented(name):
    if name in QUESTIONS:
        return ...
    if name in ("TransformerEmbedding", "FeedForward", "EncoderLayer", "Encoder"):
        class Stub(nn.Module):
            def __init__(self, *args, **kwargs):
                super().__init__()
                raise NotImplementedError()
        return Stub

    def stub(*args, **kwargs):
        raise NotImplementedError()
    return stub


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("name", list(BANK))
def test_not_implemented_fails_clearly(name, hidden):
    """An untouched exercise (NotImplementedError, or the question's ...) fails and says so."""
    result = grader.check(xid(name), _not_implemented(name), hidden=hidden, seed=5)
    assert not result.passed
    assert result.mistake == "not_implemented"
    assert "NotImplementedError" in result.feedback
    assert len(result.feedback.splitlines()) <= 3


def test_reference_layer_is_two_sublayer_connections():
    """The catalogue's sublayer_connection is the reference's wiring: reference.layers'
    EncoderLayer equals attention then FFN, each through sublayer_connection, in both orders."""
    torch.manual_seed(1)
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], dtype=torch.bool)[:, None, None, :]
    for norm_first in (False, True):
        layer = ReferenceEncoderLayer(8, 2, 12, dropout=0.1, norm_first=norm_first).double().eval()
        ours = LayerWithConnection(8, 2, 12, dropout=0.1, norm_first=norm_first).double().eval()
        ours.load_state_dict(layer.state_dict())
        assert torch.allclose(layer(x, mask), ours(x, mask), atol=1e-12)


def test_parameter_names_are_explained():
    """A module with other parameter names fails with a message naming the missing and
    unexpected ones and the expected structure, not a raw load_state_dict error."""
    class Sequential(nn.Module):
        def __init__(self, d_model, d_ff, dropout=0.0, activation="relu"):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model))

        def forward(self, x):
            return self.net(x)

    result = grader.check(xid("FeedForward"), Sequential)
    assert not result.passed and result.layer == "error"
    assert "missing linear1.bias, linear1.weight, linear2.bias, linear2.weight" in result.feedback
    assert "unexpected net.0.bias, net.0.weight, net.2.bias, net.2.weight" in result.feedback
    assert "expected exactly linear1 = nn.Linear(d_model, d_ff)" in result.feedback


def test_untrained_position_table_is_not_a_learned_parameter():
    """For positional='sinusoidal' the reference has no position parameter: a trainable
    table there is the catalogued mistake, a frozen one (requires_grad=False) is fine."""
    assert grader.check(xid("TransformerEmbedding"), EmbFrozenTable).passed
    result = grader.check(xid("TransformerEmbedding"), catalogue.EmbAlwaysLearned.fn)
    assert result.mistake == "learned_table_always"


def _input_values(name, seed):
    ex = get(xid(name))
    shown = set()
    for case in engine.cases_for(ex, hidden=True, seed=seed):
        for key, t in case.inputs.items():
            if t.is_floating_point() and not key.startswith("param:"):
                shown.update(f"{v:.4g}" for v in t.reshape(-1)[:8].tolist())
    return shown


@pytest.mark.parametrize("name", [n for n in FLOAT_EXERCISES])
def test_hidden_feedback_shows_no_input_values(name):
    """Hidden feedback names the case by its shapes only: no input value is printed."""
    seed = HIDDEN_SEEDS[0]
    values = _input_values(name, seed)
    for m in get(xid(name)).entry.mistakes:
        result = grader.check(xid(name), m.fn, hidden=True, seed=seed)
        leaked = [v for v in values if re.search(rf"(?<![\d.]){re.escape(v)}(?!\d)", result.feedback)]
        assert not leaked, (m.id, leaked, result.feedback)
        assert "a hidden case" in result.feedback


def test_cases_show_what_the_mistakes_need():
    """The cases hold what makes each mistake show: T < max_len, a vocabulary smaller than
    max_len, a pad id other than 0 next to real id-0 tokens, padding in the middle of the
    batch, an odd d_model, several heads, a layer_norm_eps other than the default."""
    for hidden in (False, True):
        pe = {c.name: c for c in engine.cases_for(get(xid("sinusoidal_positional_encoding")),
                                                  hidden=hidden, seed=4)}
        assert pe["odd d_model"].args["d_model"] % 2 == 1
        assert pe["long table"].args["max_len"] >= 48
        emb = engine.cases_for(get(xid("TransformerEmbedding")), hidden=hidden, seed=4)
        learned, sinus = (c.args["init"] for c in emb)
        assert learned["positional"] == "learned" and learned["vocab_size"] < learned["max_len"]
        ids = emb[0].inputs["input_ids"]
        assert ids.shape[1] < learned["max_len"] and (ids[1] == 0).any() and not (ids[0] == 0).any()
        ids = emb[1].inputs["input_ids"]
        assert sinus["pad_id"] != 0 and (ids == 0).any() and (ids == sinus["pad_id"]).any()
        layers = engine.cases_for(get(xid("EncoderLayer")), hidden=hidden, seed=4)
        assert {c.args["init"]["norm_first"] for c in layers} == {False, True}
        assert any(c.args["init"]["layer_norm_eps"] != 1e-5 for c in layers)
        assert all(c.args["init"]["num_heads"] > 1 for c in layers)
        mask = layers[0].inputs["mask"]
        assert mask[0].all() and not mask[1].all()  # padding in the middle of the batch
        stacks = engine.cases_for(get(xid("Encoder")), hidden=hidden, seed=4)
        assert {c.args["init"]["norm_first"] for c in stacks} == {False, True}
        assert all(c.args["init"]["num_layers"] >= 2 for c in stacks)


def test_question_answers_are_not_shipped_in_clear():
    """The visible fixtures hold digests of the answers, never the answers."""
    fixtures = build_fixtures(LESSON)
    entry = fixtures["exercises"]["encoder_output_shape"]
    assert "15, 768" not in repr(entry)


def test_visible_and_hidden_flow_through_fixtures_and_evidence(tmp_path, monkeypatch):
    """The notebook path: visible checks against fixtures in the kernel, hidden evidence
    saved as plain tensors and judged by grader.verify in the trusted process."""
    fixtures = tmp_path / "fixtures.pt"
    torch.save(build_fixtures(LESSON), fixtures)
    monkeypatch.setattr(notebook, "fixtures_path", lambda: fixtures)
    monkeypatch.chdir(tmp_path)
    notebook.check("EncoderLayer", LayerExplicit)
    with pytest.raises(notebook.CheckFailed, match="each sub-layer has its own LayerNorm"):
        notebook.check("EncoderLayer", catalogue.LayerOneNorm.fn)
    with pytest.raises(notebook.CheckFailed, match="missing norm.bias, norm.weight"):
        notebook.check("Encoder", catalogue.StackNoFinalNorm.fn)
    for name, candidate, mistake_id in (
            ("EncoderLayer", LayerWithConnection, None),
            ("EncoderLayer", catalogue.LayerTuple.fn, "attention_output_is_a_tuple"),
            ("Encoder", catalogue.StackShared.fn, "layers_share_weights"),
            ("sinusoidal_positional_encoding", catalogue.pe_odd_fails.fn, "odd_d_model_fails"),
            ("TransformerEmbedding", catalogue.EmbNoPaddingIdx.fn, "padding_idx_missing")):
        notebook.record(name, candidate, lesson=LESSON)
        result = grader.verify(xid(name), evidence.read_evidence(tmp_path, name), evidence.read_seed(tmp_path))
        assert result.passed == (mistake_id is None), result.feedback
        assert result.mistake == mistake_id


def test_fixtures_stay_small():
    """The lesson's fixtures (reference and every mistake, gradients included) stay under 1 MB."""
    import io
    buffer = io.BytesIO()
    torch.save(build_fixtures(LESSON), buffer)
    assert buffer.tell() < 1_000_000


# =========================================================================== tolerances


def measure_errors(name: str, candidates, seeds) -> dict[str, float]:
    """Max abs error (outputs, gradients) and the worst fraction of the tolerance used,
    of ``candidates`` run in float32 against the float64 reference."""
    ex = get(xid(name))
    tol = ex.harness.tolerance
    worst = {"values": 0.0, "gradients": 0.0, "fraction_of_tolerance": 0.0}
    for seed in seeds:
        cases = engine.cases_for(ex, hidden=True, seed=seed) + engine.cases_for(ex, hidden=False, seed=None)
        for case in cases:
            expected = ex.harness.run(ex.entry.reference, case, torch.float64)
            for cand in candidates:
                got = ex.harness.run(cand, case)
                for key, exp in expected.items():
                    if not isinstance(exp, torch.Tensor) or not exp.is_floating_point():
                        continue
                    err = (got[key].double() - exp).abs()
                    kind = "gradients" if key.startswith(GRAD_PREFIX) else "values"
                    worst[kind] = max(worst[kind], float(err.max()))
                    frac = err / (tol.atol + tol.rtol * exp.abs())
                    worst["fraction_of_tolerance"] = max(worst["fraction_of_tolerance"], float(frac.max()))
    return worst


@pytest.mark.parametrize("name", FLOAT_EXERCISES)
def test_tolerance_keeps_its_margin(name):
    """The bank stays well inside the tolerance (about a tenth of it, measured over
    100 seeds by running this file as a script; a few seeds here)."""
    worst = measure_errors(name, BANK[name], seeds=range(3))
    assert worst["fraction_of_tolerance"] < 0.3, worst


# =========================================================================== notebook


def _solution_namespace():
    """The notebook's solution cells run in order, without labkit, with the provided
    blocks taken from the reference."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    ns: dict[str, object] = {"torch": torch, "nn": nn, "F": F, "math": math,
                             "MultiHeadAttention": MultiHeadAttention}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "code" and grade_id.startswith(("ex_", "answer_")):
            source = "\n".join(line for line in cell.source.splitlines() if "SOLUTION" not in line)
            exec(compile(source, grade_id, "exec"), ns)  # noqa: S102 - our own notebook
    return ns


def test_notebook_solutions_pass():
    """The source notebook's own solutions pass every check, visible and hidden."""
    ns = _solution_namespace()
    for name in BANK:
        for hidden in (False, True):
            result = grader.check(xid(name), ns[name], hidden=hidden, seed=1)
            assert result.passed, result.feedback


def test_source_notebook_follows_the_conventions():
    """Each exercise has a solution cell and a locked, graded check cell with the exact
    source and the entry's points; grade ids are unique; no outputs; no project imports;
    markdown is locked; every solution region keeps its def/class line outside."""
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    ids = [c.metadata["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids))
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in cells if "nbgrader" in c.metadata}
    for name in BANK:
        check = by_id[f"check_{name}"]
        meta = check.metadata["nbgrader"]
        assert meta["grade"] and meta["locked"] and not meta["solution"]
        assert meta["points"] == get(xid(name)).entry.points
        assert check.source == (f'### BEGIN HIDDEN TESTS\nlabkit.record("{name}", {name})\n'
                                f'### END HIDDEN TESTS\nlabkit.check("{name}", {name})')
        sol = by_id.get(f"ex_{name}") or by_id[f"answer_{name}"]
        assert sol.metadata["nbgrader"]["solution"] and not sol.metadata["nbgrader"]["grade"]
        assert "### BEGIN SOLUTION" in sol.source
        first = sol.source.splitlines()[0]
        assert first.startswith(("def ", "class ", f"{name} = ...")), first
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    assert "import labkit" in next(c.source for c in cells if c.cell_type == "code")
    assert not re.search(r"^\s*(from|import)\s+(reference|grader)\b", code, re.M)
    for c in cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
        else:
            assert c.metadata["nbgrader"]["locked"]


def test_blocks_are_earlier_lessons_only():
    """blocks.txt lists reference modules (dotted names) the notebook imports from blocks,
    their reference imports, and none of this lesson's solution modules."""
    from grader.course.blocks import closure
    listed = [line.strip() for line in (SOLUTION / "blocks.txt").read_text().splitlines() if line.strip()]
    assert all(m.startswith("reference.") for m in listed)
    names = {m.split(".", 1)[1] for m in listed}
    assert not names & {"embeddings", "layers"}
    assert closure(names) - {"_checks"} <= names
    code = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code")
    used = set(re.findall(r"^\s*from blocks\.(\w+) import", code, re.M))
    assert used and used <= names


def test_there_are_sample_mistakes():
    """At least three sample submissions with a known mistake, across exercises."""
    assert len(MISTAKE_FILES) >= 3
    assert len({p.stem.split("__")[0] for p in MISTAKE_FILES}) >= 3


@pytest.mark.parametrize("path", MISTAKE_FILES, ids=lambda p: p.stem)
def test_sample_mistake_is_diagnosed(path):
    """Each sample solution cell, run with the notebook's other solutions, is diagnosed
    as the mistake its file name says, visible and hidden."""
    name, mistake_id = path.stem.split("__")
    assert mistake_id in {m.id for m in get(xid(name)).entry.mistakes}
    ns = _solution_namespace()
    exec(compile(path.read_text(), str(path), "exec"), ns)  # noqa: S102 - our own sample
    for hidden in (False, True):
        result = grader.check(xid(name), ns[name], hidden=hidden, seed=7)
        assert not result.passed
        assert result.mistake == mistake_id, result.feedback


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    torch.set_num_threads(1)
    for exercise in FLOAT_EXERCISES:
        print(exercise, get(xid(exercise)).harness.tolerance,
              measure_errors(exercise, BANK[exercise], range(n)), flush=True)
