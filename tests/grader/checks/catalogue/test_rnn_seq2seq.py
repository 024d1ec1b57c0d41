"""Lesson 01 checks: every correct alternative passes, every catalogued mistake fails
with its own id, in visible and hidden mode (COURSE.md section 5).

The banks below write each exercise in very different ways (arithmetic blending or
torch.where for padding, a loop per sentence, inputs projected all at once, one
concatenated weight matrix, gather / boolean indexing / logsumexp losses, log_softmax
taken twice, ...), so they only pass if the checks compare results, not code.

``python -m tests.grader.test_rnn_seq2seq [seeds]`` measures the largest error of the
float32 banks against the float64 reference, the figure quoted beside each tolerance.
"""

from __future__ import annotations

import io
import json
import math
import re
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import grader
from grader.checks.catalogue import rnn_seq2seq as catalogue
from grader.checks.engine import cases_for
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import get
from grader.labkit import evidence, notebook
from grader.labkit.compare import ERROR_KEY
from reference.rnn import RNNDecoder, RNNEncoder, context_vector, teacher_forced_loss
from reference.tokenizer import PAD_ID

LESSON = "01_rnn_seq2seq"
ROOT = Path(__file__).resolve().parents[4]
NOTEBOOK = ROOT / "solutions" / LESSON / f"{LESSON}.ipynb"
MISTAKE_FILES = sorted((ROOT / "solutions" / LESSON / "mistakes").glob("*.py"))
SEEDS = (1, 2, 3)


def exercise_id(name: str) -> str:
    return f"{LESSON}/{name}"


# --- a bank of correct RNNEncoder ------------------------------------------------------
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


# --- a bank of correct context_vector ---------------------------------------------------
def _as_mask(hidden_states, mask):
    return torch.ones(hidden_states.shape[:2], dtype=torch.bool) if mask is None else mask


def context_argmax(hidden_states, mode="last", mask=None):
    """The last real position as argmax of mask * position; mean by masked sum / count."""
    mask = _as_mask(hidden_states, mask)
    if mode == "mean":
        w = mask.unsqueeze(-1).to(hidden_states.dtype)
        return (hidden_states * w).sum(1) / w.sum(1)
    last = (mask.long() * torch.arange(mask.shape[1])).argmax(dim=1)
    return hidden_states[torch.arange(len(last)), last]


def context_flip_gather(hidden_states, mode="last", mask=None):
    """The first True counted from the end (flip), then gather; mean with einsum."""
    mask = _as_mask(hidden_states, mask)
    if mode == "mean":
        w = mask.to(hidden_states.dtype)
        return torch.einsum("bth,bt->bh", hidden_states, w) / w.sum(1, keepdim=True)
    from_end = mask.flip(1).long().argmax(dim=1)  # first True of the flipped mask
    last = mask.shape[1] - 1 - from_end
    index = last.view(-1, 1, 1).expand(-1, 1, hidden_states.shape[2])
    return hidden_states.gather(1, index).squeeze(1)


def context_python_rows(hidden_states, mode="last", mask=None):
    """One row at a time: nonzero() positions, then index or mean."""
    mask = _as_mask(hidden_states, mask)
    out = []
    for h, m in zip(hidden_states, mask, strict=True):
        real = m.nonzero().squeeze(1)
        out.append(h[real[-1]] if mode == "last" else h[real].mean(0))
    return torch.stack(out)


def context_one_hot(hidden_states, mode="last", mask=None):
    """'last' as a one-hot weight (cumsum reaches the count), 'mean' as uniform weights."""
    mask = _as_mask(hidden_states, mask)
    counts = mask.sum(1, keepdim=True)
    if mode == "last":
        weights = (mask & (mask.cumsum(1) == counts)).to(hidden_states.dtype)
    else:
        weights = mask.to(hidden_states.dtype) / counts
    return (weights.unsqueeze(-1) * hidden_states).sum(dim=1)


def context_masked_fill_mean(hidden_states, mode="last", mask=None):
    """Padded states zeroed with masked_fill; 'last' from a reference-style max over positions."""
    mask = _as_mask(hidden_states, mask)
    if mode == "mean":
        summed = hidden_states.masked_fill(~mask.unsqueeze(-1), 0.0).sum(dim=1)
        return summed / mask.sum(dim=1, keepdim=True).to(hidden_states.dtype)
    pos = torch.arange(mask.shape[1]).expand_as(mask)
    last = torch.where(mask, pos, torch.full_like(pos, -1)).max(dim=1).values
    return hidden_states[torch.arange(mask.shape[0]), last]


CONTEXT_ALTERNATIVES = [context_vector, context_argmax, context_flip_gather, context_python_rows,
                        context_one_hot, context_masked_fill_mean]


# --- a bank of correct RNNDecoder --------------------------------------------------------
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


# --- a bank of correct teacher_forcing_batch ----------------------------------------------
def tf_cat(tgt_ids, bos_id, pad_id):
    bos = torch.full((tgt_ids.shape[0], 1), bos_id, dtype=tgt_ids.dtype)
    return torch.cat([bos, tgt_ids[:, :-1]], dim=1), tgt_ids.masked_fill(tgt_ids == pad_id, -100)


def tf_roll(tgt_ids, bos_id, pad_id):
    tgt_in = tgt_ids.roll(1, dims=1)
    tgt_in[:, 0] = bos_id
    labels = torch.where(tgt_ids == pad_id, torch.full_like(tgt_ids, -100), tgt_ids)
    return tgt_in, labels


def tf_slices(tgt_ids, bos_id, pad_id):
    tgt_in = tgt_ids.new_full(tgt_ids.shape, pad_id)
    tgt_in[:, 0] = bos_id
    tgt_in[:, 1:] = tgt_ids[:, :-1]
    labels = tgt_ids.clone()
    labels[labels == pad_id] = -100
    return tgt_in, labels


def tf_pad(tgt_ids, bos_id, pad_id):
    tgt_in = F.pad(tgt_ids[:, :-1], (1, 0), value=bos_id)
    labels = tgt_ids.masked_fill(~tgt_ids.ne(pad_id), -100)
    return tgt_in, labels


def tf_python(tgt_ids, bos_id, pad_id):
    rows = tgt_ids.tolist()
    tgt_in = [[bos_id] + row[:-1] for row in rows]
    labels = [[-100 if tok == pad_id else tok for tok in row] for row in rows]
    return torch.tensor(tgt_in), torch.tensor(labels)


TF_ALTERNATIVES = [catalogue.teacher_forcing_batch, tf_cat, tf_roll, tf_slices, tf_pad, tf_python]


# --- a bank of correct teacher_forced_loss -------------------------------------------------
def _reduce(total, count, reduction):
    return total if reduction == "sum" else total / count


def loss_gather(logits, labels, reduction="sum"):
    real = labels != -100
    logp = torch.log_softmax(logits, dim=-1)
    picked = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return _reduce(-(picked * real).sum(), real.sum(), reduction)


def loss_boolean_index(logits, labels, reduction="sum"):
    real = labels != -100
    return F.cross_entropy(logits[real], labels[real], reduction=reduction)


def loss_log_of_softmax(logits, labels, reduction="sum"):
    real = labels != -100
    probs = torch.softmax(logits[real], dim=-1)
    nll = -torch.log(probs[torch.arange(len(probs)), labels[real]])
    return nll.sum() if reduction == "sum" else nll.mean()


def loss_log_softmax_twice(logits, labels, reduction="sum"):
    """log_softmax is idempotent, so cross_entropy of log-probabilities is still right."""
    logp = F.log_softmax(logits, dim=-1)
    return F.cross_entropy(logp.flatten(0, 1), labels.flatten(), reduction=reduction)


def loss_logsumexp(logits, labels, reduction="sum"):
    real = labels != -100
    sel, target = logits[real], labels[real]
    nll = torch.logsumexp(sel, dim=-1) - sel.gather(1, target[:, None]).squeeze(1)
    return _reduce(nll.sum(), len(nll), reduction)


def loss_nll_class_dim(logits, labels, reduction="sum"):
    return F.nll_loss(F.log_softmax(logits, -1).transpose(1, 2), labels, reduction=reduction)


def loss_none_then_reduce(logits, labels, reduction="sum"):
    nll = F.cross_entropy(logits.permute(0, 2, 1), labels, reduction="none")  # 0 at -100
    return _reduce(nll.sum(), (labels != -100).sum(), reduction)


def loss_python_terms(logits, labels, reduction="sum"):
    """L = -sum_t log p(y_t | ...) term by term, as the book writes it."""
    terms = []
    logp = logits.log_softmax(-1)
    for b in range(labels.shape[0]):
        for t in range(labels.shape[1]):
            if int(labels[b, t]) != -100:
                terms.append(-logp[b, t, int(labels[b, t])])
    total = torch.stack(terms).sum()
    return total if reduction == "sum" else total / len(terms)


LOSS_ALTERNATIVES = [teacher_forced_loss, loss_gather, loss_boolean_index, loss_log_of_softmax,
                     loss_log_softmax_twice, loss_logsumexp, loss_nll_class_dim,
                     loss_none_then_reduce, loss_python_terms]


ALTERNATIVES = {"RNNEncoder": ENCODER_ALTERNATIVES, "context_vector": CONTEXT_ALTERNATIVES,
                "RNNDecoder": DECODER_ALTERNATIVES, "teacher_forcing_batch": TF_ALTERNATIVES,
                "teacher_forced_loss": LOSS_ALTERNATIVES}
CORRECT_ANSWERS = {"context_shape": [(4, 768), [4, 768], torch.Size([4, 768])],
                   "decoder_inputs": ["b", " B "], "rnn_drawback": ["b", "B"]}
#: Exercises compared with a tolerance (floating-point outputs).
MEASURED = ("RNNEncoder", "context_vector", "RNNDecoder", "teacher_forced_loss")


def _entries():
    return {e.exercise_id.split("/", 1)[1]: e for e in catalogue.ENTRIES}


def _all_mistakes():
    return [(name, m) for name, e in _entries().items() for m in e.mistakes]


def _modes():
    return [(False, None)] + [(True, s) for s in SEEDS]


def _name(x):
    return getattr(x, "__name__", None) or getattr(x, "id", None) or str(x)


# --- tests --------------------------------------------------------------------------------
def test_lesson_lists_its_exercises():
    """The lesson's eight exercises are registered, each with a harness and a catalogue entry."""
    assert set(grader.list_exercises(LESSON)) == {
        exercise_id(n) for n in ("RNNEncoder", "context_vector", "RNNDecoder",
                                 "teacher_forcing_batch", "teacher_forced_loss", "context_shape",
                                 "decoder_inputs", "rnn_drawback")}


@pytest.mark.parametrize("name,candidate", [(n, c) for n, alts in ALTERNATIVES.items() for c in alts],
                         ids=_name)
@pytest.mark.parametrize("hidden,seed", _modes())
def test_correct_alternatives_pass(name, candidate, hidden, seed):
    """Every correct implementation in the bank passes, visible and hidden, for several seeds."""
    result = grader.check(exercise_id(name), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in CORRECT_ANSWERS.items()
                                         for a in answers], ids=str)
def test_correct_answers_pass(name, answer):
    """Right answers pass whichever way they are written ((4, 768) or [4, 768], 'b' or ' B ')."""
    for hidden in (False, True):
        assert grader.check(exercise_id(name), answer, hidden=hidden).passed


@pytest.mark.parametrize("name,m", _all_mistakes(), ids=_name)
@pytest.mark.parametrize("hidden,seed", [(False, None), (True, 7), (True, 8)])
def test_catalogued_mistakes_fail_with_their_id(name, m, hidden, seed):
    """Each catalogued mistake fails with its own id and hint; feedback is short."""
    result = grader.check(exercise_id(name), m.fn, hidden=hidden, seed=seed)
    assert not result.passed
    assert result.mistake == m.id, result.feedback
    assert m.hint in result.feedback
    assert len(result.feedback.splitlines()) < 15


def test_catalogue_covers_the_mistakes_the_course_names():
    """The mistakes the lesson plan names are all in the catalogue."""
    ids = {name: {m.id for m in e.mistakes} for name, e in _entries().items()}
    assert {"forgets_previous_state", "padding_updates_state", "padding_resets_state"} <= ids["RNNEncoder"]
    assert {"last_ignores_padding", "mean_includes_padding"} <= ids["context_vector"]
    assert {"ignores_context", "context_not_fed_each_step"} <= ids["RNNDecoder"]
    assert {"no_shift", "loss_over_pad_positions"} <= ids["teacher_forcing_batch"]
    assert {"loss_over_pad_positions", "always_mean", "always_sum", "double_softmax",
            "nll_of_probabilities"} <= ids["teacher_forced_loss"]


def _raises(*args, **kwargs):
    raise NotImplementedError()


class _EncoderNotDone(_EncoderInit):
    def forward(self, src_ids):
        raise NotImplementedError()


class _DecoderNotDone(_DecoderInit):
    def step(self, prev_state, prev_token, context):
        raise NotImplementedError()

    def forward(self, tgt_in, context):
        raise NotImplementedError()


@pytest.mark.parametrize("name,candidate", [
    ("RNNEncoder", _EncoderNotDone), ("context_vector", _raises), ("RNNDecoder", _DecoderNotDone),
    ("teacher_forcing_batch", _raises), ("teacher_forced_loss", _raises), ("context_shape", ...),
    ("decoder_inputs", ...), ("rnn_drawback", ...)], ids=lambda v: v if isinstance(v, str) else None)
def test_not_implemented_fails_cleanly(name, candidate):
    """A student who has not started yet gets a one-line reason, id not_implemented."""
    for hidden in (False, True):
        result = grader.check(exercise_id(name), candidate, hidden=hidden)
        assert not result.passed
        assert result.mistake == "not_implemented"
        assert "NotImplementedError" in result.feedback
        assert len(result.feedback.splitlines()) <= 3


def test_unused_parameter_is_told_as_the_mistake_not_as_a_cut_graph():
    """A decoder that never uses context_to_hidden gets no gradient there; the feedback
    names the mistake from the values instead of blaming a cut graph."""
    result = grader.check(exercise_id("RNNDecoder"), catalogue.DecoderContextOnlyAtStart.fn)
    assert result.layer == "values" and result.mistake == "context_not_fed_each_step"
    assert "no gradient reached" not in result.feedback


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


def test_cases_cover_what_the_checks_need():
    """Cases hold padding with the shortest row in the middle of the batch, left padding, a
    pad id other than 0 next to real tokens with id 0, distinct sizes, and labels with a
    different number of real tokens per row."""
    for hidden in (False, True):
        enc = {c.name: c for c in cases_for(get(exercise_id("RNNEncoder")), hidden=hidden, seed=3)}
        right, left = enc["right padding"], enc["left padding, pad_id != 0"]
        b, t = right.inputs["src_ids"].shape
        init = right.args["init"]
        assert len({b, t, init["embed_dim"], init["hidden_size"], init["vocab_size"]}) == 5
        lengths = (right.inputs["src_ids"] != 0).sum(1)
        assert lengths[1] == lengths.min() < t and lengths[0] == t
        pad = left.args["init"]["pad_id"]
        ids = left.inputs["src_ids"]
        assert pad != 0 and (ids == 0).any() and (ids[:, 0] == pad).any() and (ids[:, -1] != pad).all()
        for case in cases_for(get(exercise_id("teacher_forced_loss")), hidden=hidden, seed=3):
            counts = (case.inputs["labels"] != -100).sum(1)
            assert len(set(counts.tolist())) == len(counts)


def test_context_cases_do_not_repeat_the_last_state_over_padding():
    """The hidden states at padded positions differ from the last real state, so taking the
    last position is wrong even though a correct encoder would repeat the state there."""
    for case in cases_for(get(exercise_id("context_vector")), hidden=True, seed=5):
        if case.name == "last, right padding":
            h = case.inputs["hidden_states"]
            assert not torch.allclose(h[:, -1], context_vector(h, "last", case.inputs["mask"]))


def _max_errors(seeds) -> dict[str, tuple[float, float]]:
    """Per exercise and output, over ``seeds``: the largest |float32 alternative - float64
    reference|, and the largest such error scaled by 1 + |reference| (a tolerance with
    atol = rtol = that figure admits every alternative)."""
    worst: dict[str, tuple[float, float]] = {}
    for name in MEASURED:
        ex = get(exercise_id(name))
        for seed in seeds:
            for hidden in (False, True):
                for case in cases_for(ex, hidden=hidden, seed=seed):
                    expected = ex.harness.run(ex.entry.reference, case, torch.float64)
                    for alt in ALTERNATIVES[name]:
                        got = ex.harness.run(alt, case)
                        assert ERROR_KEY not in got, (name, alt, got)
                        for key, exp in expected.items():
                            diff = (got[key].double() - exp).abs()
                            err, scaled = float(diff.max()), float((diff / (1 + exp.abs())).max())
                            before = worst.get(f"{name}/{key}", (0.0, 0.0))
                            worst[f"{name}/{key}"] = (max(before[0], err), max(before[1], scaled))
    return worst


def test_tolerances_hold_with_a_margin():
    """float32 alternatives against the float64 reference stay 5x inside the tolerances
    (the full measurement, 200 seeds, is quoted beside each tolerance)."""
    for name in MEASURED:
        ex = get(exercise_id(name))
        tol = ex.harness.tolerance
        for seed in range(4):
            for case in cases_for(ex, hidden=True, seed=seed):
                expected = ex.harness.run(ex.entry.reference, case, torch.float64)
                for alt in ALTERNATIVES[name]:
                    got = ex.harness.run(alt, case)
                    for key, exp in expected.items():
                        err = (got[key].double() - exp).abs()
                        assert (err <= (tol.atol + tol.rtol * exp.abs()) / 5).all(), (name, alt, key)


def test_visible_and_hidden_flow_through_fixtures_and_evidence(tmp_path, monkeypatch):
    """The notebook path: visible checks against fixtures in the kernel, hidden evidence
    saved as plain tensors and judged by grader.verify in the trusted process."""
    fixtures = tmp_path / "fixtures.pt"
    torch.save(build_fixtures(LESSON), fixtures)
    monkeypatch.setattr(notebook, "fixtures_path", lambda: fixtures)
    monkeypatch.chdir(tmp_path)
    notebook.check("RNNEncoder", EncoderPerSentence)
    with pytest.raises(notebook.CheckFailed, match="keep the previous state"):
        notebook.check("RNNEncoder", catalogue.EncoderPaddingUpdates.fn)
    for name, candidate, mistake_id in (
            ("RNNDecoder", DecoderInlined, None),
            ("RNNDecoder", catalogue.DecoderNoContext.fn, "ignores_context"),
            ("teacher_forcing_batch", catalogue.tf_no_shift.fn, "no_shift"),
            ("context_vector", context_python_rows, None)):
        notebook.record(name, candidate)
        result = grader.verify(exercise_id(name), evidence.read_evidence(tmp_path, name),
                               evidence.read_seed(tmp_path))
        assert result.passed == (mistake_id is None), result.feedback
        assert result.mistake == mistake_id


def test_fixtures_stay_small():
    """The lesson's fixtures (reference and every mistake on the visible cases) stay small."""
    buffer = io.BytesIO()
    torch.save(build_fixtures(LESSON), buffer)
    assert buffer.tell() < 300_000


#: Names the notebook's first cell defines, which a solution cell may use.
NOTEBOOK_NAMES = {"torch": torch, "nn": nn, "F": F, "math": math, "PAD_ID": PAD_ID}


@pytest.mark.parametrize("path", MISTAKE_FILES, ids=lambda p: p.name)
def test_mistake_notebook_cells_are_diagnosed(path):
    """Each file in solutions/01_rnn_seq2seq/mistakes/ is a student's solution cell with one
    catalogued mistake (named in the file name); the grader names that mistake."""
    name, mistake_id = path.stem.split("__")
    namespace = dict(NOTEBOOK_NAMES)
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    for hidden in (False, True):
        result = grader.check(exercise_id(name), namespace[name], hidden=hidden)
        assert result.mistake == mistake_id, result.feedback


def test_there_are_mistake_cells_for_several_exercises():
    """At least three catalogued mistakes across at least three exercises have a notebook cell."""
    names = {p.stem.split("__")[0] for p in MISTAKE_FILES}
    assert len(MISTAKE_FILES) >= 3 and len(names) >= 3


def _cells():
    return json.loads(NOTEBOOK.read_text())["cells"]


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="source notebook not written yet")
def test_source_notebook_follows_the_conventions():
    """Each exercise has a solution cell and a locked, graded check cell with the exact
    source and the entry's points; grade ids are unique; no outputs; no project imports."""
    cells = _cells()
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c["metadata"]]
    assert len(ids) == len(set(ids))
    by_id = {c["metadata"]["nbgrader"]["grade_id"]: c for c in cells if "nbgrader" in c["metadata"]}
    for name, entry in _entries().items():
        check = by_id[f"check_{name}"]
        meta = check["metadata"]["nbgrader"]
        assert meta["grade"] and meta["locked"] and meta["points"] == entry.points
        assert "".join(check["source"]) == (f'### BEGIN HIDDEN TESTS\nlabkit.record("{name}", {name})\n'
                                            f'### END HIDDEN TESTS\nlabkit.check("{name}", {name})')
        solution = by_id.get(f"ex_{name}") or by_id[f"answer_{name}"]
        assert solution["metadata"]["nbgrader"]["solution"]
        assert "### BEGIN SOLUTION" in "".join(solution["source"])
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "import labkit" in code
    assert not re.search(r"^\s*(from|import)\s+(reference|grader)\b", code, re.M)
    for c in cells:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None
        if c["cell_type"] == "markdown":
            assert c["metadata"]["nbgrader"]["locked"]


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="source notebook not written yet")
def test_blocks_list_ships_no_solution_of_this_lesson():
    """blocks.txt names reference modules, one per line, never reference.rnn (the lesson's
    own solutions), and the notebook imports only blocks that are listed."""
    listed = (ROOT / "solutions" / LESSON / "blocks.txt").read_text().split()
    assert listed and all(m.startswith("reference.") for m in listed)
    assert "reference.rnn" not in listed
    code = "\n".join("".join(c["source"]) for c in _cells() if c["cell_type"] == "code")
    for module in re.findall(r"^\s*from blocks\.([\w.]+) import", code, re.M):
        assert f"reference.{module}" in listed


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="source notebook not written yet")
def test_mistake_files_are_the_notebook_cells_with_one_change():
    """A mistake file keeps everything of its solution cell outside the solution region
    (class line, docstrings, the given __init__), as the demo pastes it into the cell."""
    by_id = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
             for c in _cells() if "nbgrader" in c["metadata"]}
    for path in MISTAKE_FILES:
        name = path.stem.split("__")[0]
        source = by_id[f"ex_{name}"]
        given = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", source, flags=re.S)
        text = path.read_text()
        for line in given.splitlines():
            assert line.rstrip() in text, (path.name, line)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    torch.set_num_threads(1)
    print(f"{'exercise/output':40s} {'max abs':>9s} {'scaled':>9s}")
    for key, (err, scaled) in sorted(_max_errors(range(n)).items()):
        print(f"{key:40s} {err:9.2e} {scaled:9.2e}")
