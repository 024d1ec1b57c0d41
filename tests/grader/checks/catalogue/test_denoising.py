"""Lesson 06 checks: every correct alternative passes, every catalogued mistake fails
with its own id, in visible and hidden mode (COURSE.md section 5).

The corruptions are randomised: their alternatives draw in other ways (per-token
Bernoulli draws against exact counts, ceil / round / floor, argsort of uniforms,
multinomial, Knuth's Poisson sampler, spans placed by compositions, Fisher-Yates,
torch.roll, fairseq's rotation that never keeps the start), so they only pass if the
harness judges the properties of the outputs and not the reference's draws.

``python -m tests.grader.test_denoising`` measures the float tolerance of
``seq2seq_loss`` (float32 alternatives against the float64 reference, 300 seeds) and
the false-alarm margins of the statistical checks.
"""

from __future__ import annotations

import ast
import io
import json
import math
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import grader
from grader.checks import engine
from grader.checks.catalogue import denoising as catalogue
from grader.checks.engine import cases_for
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import get
from grader.labkit import evidence, notebook
from grader.labkit.exercises import denoising as harnesses
from grader.labkit.exercises.denoising._common import _unpack_rows
from reference.denoising import (
    document_rotation,
    sentence_permutation,
    seq2seq_loss,
    shift_right,
    span_corruption,
    text_infilling,
    token_deletion,
    token_masking,
)

LESSON = "06_denoising"
ROOT = Path(__file__).resolve().parents[4]
NOTEBOOK = ROOT / "solutions" / LESSON / f"{LESSON}.ipynb"
MISTAKE_FILES = sorted((ROOT / "solutions" / LESSON / "mistakes").glob("*.py"))
SEEDS = (1, 2, 3)
LEADING, TRAILING = (2, 5), (3, 6)  # [CLS], <s> / [SEP], </s>


def exercise_id(name: str) -> str:
    return f"{LESSON}/{name}"


def _split(tokens):
    """(head, body, tail) as lists: the leading [CLS]/<s> run, the body, the trailing [SEP]/</s> run."""
    values = tokens.tolist()
    start = 0
    while start < len(values) and values[start] in LEADING:
        start += 1
    end = len(values)
    while end > start and values[end - 1] in TRAILING:
        end -= 1
    return values[:start], values[start:end], values[end:]


def _join(head, body, tail):
    return torch.tensor([*head, *body, *tail], dtype=torch.long)


# --- token_masking ------------------------------------------------------------------------
def masking_bernoulli(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    """Each body token masked with probability mask_ratio (no exact count)."""
    head, body, tail = _split(tokens)
    body = torch.tensor(body, dtype=torch.long)
    chosen = torch.rand(len(body), generator=generator) < mask_ratio
    return _join(head, body.masked_fill(chosen, mask_token_id).tolist(), tail)


def masking_argsort_round(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    """round(ratio * n) positions: the smallest of n uniforms."""
    head, body, tail = _split(tokens)
    k = round(mask_ratio * len(body))
    chosen = torch.rand(len(body), generator=generator).argsort()[:k].tolist()
    body = [mask_token_id if i in chosen else t for i, t in enumerate(body)]
    return _join(head, body, tail)


def masking_multinomial_floor(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    """int(ratio * n) positions drawn by torch.multinomial without replacement."""
    head, body, tail = _split(tokens)
    out = torch.tensor(body, dtype=torch.long)
    k = int(mask_ratio * len(body) + 1e-9)
    if k:
        out[torch.multinomial(torch.ones(len(body)), k, generator=generator)] = mask_token_id
    return _join(head, out.tolist(), tail)


def masking_isin_specials(tokens, *, mask_token_id, mask_ratio=0.15, generator=None):
    """Protects every special id (the course's 0..14) instead of the boundary runs: the same
    on sequences whose bodies hold no special token."""
    out = tokens.clone()
    eligible = (~torch.isin(tokens, torch.arange(15))).nonzero().squeeze(1)
    k = math.ceil(mask_ratio * len(eligible) - 1e-9)
    out[eligible[torch.randperm(len(eligible), generator=generator)[:k]]] = mask_token_id
    return out


MASKING_ALTERNATIVES = [token_masking, masking_bernoulli, masking_argsort_round,
                        masking_multinomial_floor, masking_isin_specials]


# --- token_deletion -----------------------------------------------------------------------
def deletion_bernoulli(tokens, *, deletion_ratio=0.15, generator=None):
    head, body, tail = _split(tokens)
    keep = (torch.rand(len(body), generator=generator) >= deletion_ratio).tolist()
    return _join(head, [t for t, k in zip(body, keep, strict=True) if k], tail)


def deletion_argsort(tokens, *, deletion_ratio=0.15, generator=None):
    """Keep the n - k positions with the largest uniforms, in their original order."""
    head, body, tail = _split(tokens)
    k = round(deletion_ratio * len(body))
    keep = torch.rand(len(body), generator=generator).argsort()[k:].sort().values
    return _join(head, torch.tensor(body, dtype=torch.long)[keep].tolist(), tail)


def deletion_python_loop(tokens, *, deletion_ratio=0.15, generator=None):
    """A set of indices from randperm, a list comprehension; floor count."""
    head, body, tail = _split(tokens)
    gone = set(torch.randperm(len(body), generator=generator)[: int(deletion_ratio * len(body) + 1e-9)].tolist())
    return _join(head, [t for i, t in enumerate(body) if i not in gone], tail)


DELETION_ALTERNATIVES = [token_deletion, deletion_bernoulli, deletion_argsort, deletion_python_loop]


# --- text_infilling -----------------------------------------------------------------------
def _knuth_poisson(lam, generator):
    """One Poisson(lam) draw from uniforms (Knuth): count products until below e^-lam."""
    limit, k, p = math.exp(-lam), 0, float(torch.rand((), generator=generator))
    while p > limit:
        k += 1
        p *= float(torch.rand((), generator=generator))
    return k


def infilling_walk(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    """Lengths from Knuth's sampler (cut to the budget); spans in distinct random gaps, in
    the order they were drawn."""
    head, body, tail = _split(tokens)
    budget = math.ceil(mask_ratio * len(body) - 1e-9)
    lengths, total = [], 0
    while total < budget:
        n = min(_knuth_poisson(poisson_lambda, generator), budget - total)
        lengths.append(n)
        total += n
    gaps = len(body) - budget + 1
    if len(lengths) <= gaps:
        where = sorted(torch.randperm(gaps, generator=generator)[: len(lengths)].tolist())
    else:
        where = sorted(torch.randint(gaps, (len(lengths),), generator=generator).tolist())
    out, pos = [], 0
    queue: dict[int, list[int]] = {g: [] for g in range(gaps)}
    for g, n in zip(where, lengths, strict=True):
        queue[g].append(n)
    for g in range(gaps):
        for n in queue[g]:
            out.append(mask_token_id)
            pos += n
        if pos < len(body) and g < gaps - 1:
            out.append(body[pos])
            pos += 1
    return _join(head, out, tail)


def infilling_composition(tokens, *, mask_token_id, mask_ratio=0.3, poisson_lambda=3.0, generator=None):
    """round() budget; torch.poisson lengths one batch at a time; kept tokens split into
    num_spans + 1 runs of any size >= 0 (stars and bars), so spans may touch."""
    head, body, tail = _split(tokens)
    budget = round(mask_ratio * len(body))
    lengths = []
    while sum(lengths) < budget:
        for n in torch.poisson(torch.full((16,), float(poisson_lambda)), generator=generator).long().tolist():
            if sum(lengths) + n >= budget:
                lengths.append(budget - sum(lengths))
                break
            lengths.append(n)
    kept = len(body) - budget
    slots = kept + len(lengths)
    bars = sorted(torch.randperm(slots, generator=generator)[: len(lengths)].tolist())
    runs = [b - a - 1 for a, b in zip([-1, *bars], [*bars, slots], strict=True)]
    out, pos = [], 0
    for i, run in enumerate(runs):
        out += body[pos: pos + run]
        pos += run
        if i < len(lengths):
            out.append(mask_token_id)
            pos += lengths[i]
    return _join(head, out, tail)


INFILLING_ALTERNATIVES = [text_infilling, infilling_walk, infilling_composition]


# --- sentence_permutation -----------------------------------------------------------------
def permutation_argsort(tokens, *, sentence_end_ids, generator=None):
    """Sentences cut with a Python loop; the order is the argsort of uniforms."""
    head, body, tail = _split(tokens)
    sentences, current = [], []
    for t in body:
        current.append(t)
        if t in sentence_end_ids:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    order = torch.rand(len(sentences), generator=generator).argsort().tolist()
    return _join(head, [t for i in order for t in sentences[i]], tail)


def permutation_fisher_yates(tokens, *, sentence_end_ids, generator=None):
    """tensor_split at the end positions; Fisher-Yates with torch.randint."""
    head, body, tail = _split(tokens)
    body = torch.tensor(body, dtype=torch.long)
    cuts = (torch.isin(body, torch.tensor(list(sentence_end_ids))).nonzero().squeeze(1) + 1).tolist()
    pieces = [p for p in torch.tensor_split(body, [c for c in cuts if c < len(body)]) if len(p)]
    for i in range(len(pieces) - 1, 0, -1):
        j = int(torch.randint(i + 1, (1,), generator=generator))
        pieces[i], pieces[j] = pieces[j], pieces[i]
    return _join(head, torch.cat(pieces).tolist(), tail)


PERMUTATION_ALTERNATIVES = [sentence_permutation, permutation_argsort, permutation_fisher_yates]


# --- document_rotation --------------------------------------------------------------------
def rotation_roll(tokens, *, generator=None):
    head, body, tail = _split(tokens)
    start = int(torch.randint(len(body), (1,), generator=generator))
    return _join(head, torch.tensor(body).roll(-start).tolist(), tail)


def rotation_fairseq(tokens, *, generator=None):
    """fairseq's add_rolling_buffer: the offset is drawn from 1 .. n-1, never 0."""
    head, body, tail = _split(tokens)
    if len(body) < 2:
        return tokens.clone()
    start = int(torch.randint(1, len(body), (1,), generator=generator))
    return _join(head, body[start:] + body[:start], tail)


def rotation_right(tokens, *, generator=None):
    """Rotate to the right by a uniform shift: the start is uniform too."""
    head, body, tail = _split(tokens)
    shift = int(torch.randint(len(body), (1,), generator=generator))
    return _join(head, body[len(body) - shift:] + body[: len(body) - shift], tail)


ROTATION_ALTERNATIVES = [document_rotation, rotation_roll, rotation_fairseq, rotation_right]


# --- span_corruption ----------------------------------------------------------------------
def _segments(total, parts, generator):
    """A uniformly random split of ``total`` items into ``parts`` positive lengths
    (T5's _random_segmentation: shuffle parts-1 boundaries among total-1 slots)."""
    marks = torch.zeros(total - 1, dtype=torch.long)
    marks[: parts - 1] = 1
    marks = marks[torch.randperm(total - 1, generator=generator)]
    ids = torch.cat([torch.zeros(1, dtype=torch.long), marks.cumsum(0)])
    return torch.bincount(ids, minlength=parts).tolist()


def span_t5_interleaved(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0,
                        generator=None):
    """T5's random_spans_noise_mask: kept and noise runs interleaved, kept first and noise
    last (so the last body token is always noise)."""
    head, body, tail = _split(tokens)
    n = len(body)
    num_noise = min(max(round(noise_density * n), 1), n - 1)
    spans = min(max(1, round(num_noise / mean_span_length)), num_noise, n - num_noise)
    noise = _segments(num_noise, spans, generator)
    kept = _segments(n - num_noise, spans, generator)
    inputs, targets, pos = list(head), [], 0
    for i in range(spans):
        inputs += body[pos: pos + kept[i]]
        pos += kept[i]
        inputs.append(sentinel_ids[i])
        targets += [sentinel_ids[i], *body[pos: pos + noise[i]]]
        pos += noise[i]
    return (torch.tensor(inputs + tail, dtype=torch.long),
            torch.tensor(targets + [sentinel_ids[spans]] + tail, dtype=torch.long))


def span_mask_then_runs(tokens, *, sentinel_ids, noise_density=0.15, mean_span_length=3.0,
                        generator=None):
    """A noise mask first (spans at distinct random gaps between kept tokens), then one
    pass that turns each run of noise into the next sentinel."""
    head, body, tail = _split(tokens)
    n = len(body)
    num_noise = min(max(round(noise_density * n), 1), n - 1)
    spans = min(max(1, round(num_noise / mean_span_length)), num_noise, n - num_noise + 1)
    cuts = sorted(torch.randperm(num_noise - 1, generator=generator)[: spans - 1].tolist()) if spans > 1 else []
    lengths = [b - a for a, b in zip([0, *[c + 1 for c in cuts]], [*[c + 1 for c in cuts], num_noise],
                                     strict=True)]
    gaps = sorted(torch.randperm(n - num_noise + 1, generator=generator)[:spans].tolist())
    noise, k = [], 0
    for g in range(n - num_noise + 1):
        while k < spans and gaps[k] == g:
            noise += [True] * lengths[k]
            k += 1
        if g < n - num_noise:
            noise.append(False)
    inputs, targets, s, prev = list(head), [], 0, False
    for t, is_noise in zip(body, noise, strict=True):
        if is_noise and not prev:
            inputs.append(sentinel_ids[s])
            targets.append(sentinel_ids[s])
            s += 1
        (targets if is_noise else inputs).append(t)
        prev = is_noise
    return (torch.tensor(inputs + tail, dtype=torch.long),
            torch.tensor(targets + [sentinel_ids[s]] + tail, dtype=torch.long))


SPAN_ALTERNATIVES = [span_corruption, span_t5_interleaved, span_mask_then_runs]


# --- shift_right ----------------------------------------------------------------------------
def shift_cat(labels, start_id, pad_id):
    start = torch.full((labels.shape[0], 1), start_id, dtype=labels.dtype)
    out = torch.cat([start, labels[:, :-1]], dim=1)
    return torch.where(out == -100, torch.full_like(out, pad_id), out)


def shift_roll(labels, start_id, pad_id):
    out = labels.masked_fill(labels == -100, pad_id).roll(1, dims=1)
    out[:, 0] = start_id
    return out


def shift_pad(labels, start_id, pad_id):
    out = F.pad(labels[:, :-1], (1, 0), value=start_id)
    out[out == -100] = pad_id
    return out


def shift_python(labels, start_id, pad_id):
    rows = [[start_id] + [pad_id if t == -100 else t for t in row[:-1]] for row in labels.tolist()]
    return torch.tensor(rows, dtype=torch.long)


SHIFT_ALTERNATIVES = [shift_right, shift_cat, shift_roll, shift_pad, shift_python]


# --- seq2seq_loss -----------------------------------------------------------------------------
def loss_transpose(logits, labels, reduction="mean"):
    return F.cross_entropy(logits.transpose(1, 2), labels, reduction=reduction)


def loss_flat(logits, labels, reduction="mean"):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                           ignore_index=-100, reduction=reduction)


def loss_gather(logits, labels, reduction="mean"):
    keep = labels != -100
    logp = F.log_softmax(logits, dim=-1).gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    total = -torch.where(keep, logp, torch.zeros_like(logp)).sum()
    return total if reduction == "sum" else total / keep.sum()


def loss_logsumexp(logits, labels, reduction="mean"):
    keep = labels != -100
    sel, target = logits[keep], labels[keep]
    nll = torch.logsumexp(sel, dim=-1) - sel[torch.arange(len(sel)), target]
    return nll.sum() if reduction == "sum" else nll.mean()


def loss_per_row(logits, labels, reduction="mean"):
    """Row by row, summed, then divided by the number of target tokens of the whole batch."""
    total = sum(F.nll_loss(F.log_softmax(logits[b], -1), labels[b], reduction="sum")
                for b in range(labels.shape[0]))
    return total if reduction == "sum" else total / (labels != -100).sum()


LOSS_ALTERNATIVES = [seq2seq_loss, loss_transpose, loss_flat, loss_gather, loss_logsumexp, loss_per_row]


ALTERNATIVES = {"token_masking": MASKING_ALTERNATIVES, "token_deletion": DELETION_ALTERNATIVES,
                "text_infilling": INFILLING_ALTERNATIVES, "sentence_permutation": PERMUTATION_ALTERNATIVES,
                "document_rotation": ROTATION_ALTERNATIVES, "span_corruption": SPAN_ALTERNATIVES,
                "shift_right": SHIFT_ALTERNATIVES, "seq2seq_loss": LOSS_ALTERNATIVES}
RANDOMISED = ("token_masking", "token_deletion", "text_infilling", "sentence_permutation",
              "document_rotation", "span_corruption")
CORRECT_ANSWERS = {"per_token_loss": ["b", " B "], "infilling_hides": ["c", "C"],
                   "t5_target_sentinels": [3]}


def _entries():
    return {e.exercise_id.split("/", 1)[1]: e for e in catalogue.ENTRIES}


def _all_mistakes():
    return [(name, m) for name, e in _entries().items() for m in e.mistakes]


def _modes():
    return [(False, None)] + [(True, s) for s in SEEDS]


@pytest.fixture(autouse=True, scope="module")
def _reuse_reference_outputs():
    """The reference's and the mistakes' outputs depend on the case alone: compute them once
    per case for the whole module (the randomised judges do not use them, but the engine
    computes them for every check)."""
    cache: dict = {}
    original = engine.expected_and_mistakes

    def cached(ex, case):
        key = (ex.id, case.name, case.describe, json.dumps(case.args, sort_keys=True, default=str),
               tuple((k, v.shape, float(v.double().sum())) for k, v in sorted(case.inputs.items())))
        if key not in cache:
            cache[key] = original(ex, case)
        return cache[key]

    engine.expected_and_mistakes = cached
    yield
    engine.expected_and_mistakes = original


# --- tests ---------------------------------------------------------------------------------
def test_lesson_lists_its_exercises():
    """The lesson's eleven exercises are registered, each with a harness and a catalogue entry."""
    assert set(grader.list_exercises(LESSON)) == {exercise_id(n) for n in (
        "token_masking", "token_deletion", "text_infilling", "sentence_permutation",
        "document_rotation", "span_corruption", "shift_right", "seq2seq_loss",
        "per_token_loss", "infilling_hides", "t5_target_sentinels")}


@pytest.mark.parametrize("name,candidate", [(n, c) for n, alts in ALTERNATIVES.items() for c in alts],
                         ids=lambda x: getattr(x, "__name__", x))
@pytest.mark.parametrize("hidden,seed", _modes())
def test_correct_alternatives_pass(name, candidate, hidden, seed):
    """Every correct implementation in the bank passes, visible and hidden, for several seeds."""
    result = grader.check(exercise_id(name), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in CORRECT_ANSWERS.items() for a in answers])
def test_correct_answers_pass(name, answer):
    """Right answers pass whichever way they are written ('b' or ' B ')."""
    for hidden in (False, True):
        assert grader.check(exercise_id(name), answer, hidden=hidden).passed


@pytest.mark.parametrize("name,m", _all_mistakes(), ids=lambda x: getattr(x, "id", x))
@pytest.mark.parametrize("hidden,seed", [(False, None), (True, 7), (True, 8)])
def test_catalogued_mistakes_fail_with_their_id(name, m, hidden, seed):
    """Each catalogued mistake fails with its own id and hint; feedback is short."""
    result = grader.check(exercise_id(name), m.fn, hidden=hidden, seed=seed)
    assert not result.passed
    assert result.mistake == m.id, result.feedback
    assert m.hint in result.feedback
    assert len(result.feedback.splitlines()) < 15


def test_catalogue_covers_the_mistakes_the_course_names():
    """The mistakes the course lists for this lesson are all catalogued."""
    ids = {name: {m.id for m in e.mistakes} for name, e in _entries().items()}
    assert "corrupts_boundary_tokens" in ids["token_masking"]
    assert {"count_includes_boundary", "ratio_per_document"} <= ids["token_deletion"]
    assert {"one_mask_per_token", "fixed_span_length", "no_zero_length_spans"} <= ids["text_infilling"]
    assert "shuffles_tokens" in ids["sentence_permutation"]
    assert "reverses_instead_of_rotating" in ids["document_rotation"]
    assert {"reuses_one_sentinel", "missing_final_sentinel"} <= ids["span_corruption"]
    assert {"no_start_token", "keeps_ignore_index", "shifted_left"} <= ids["shift_right"]
    assert {"counts_ignored_positions", "mean_per_sequence", "sum_instead_of_mean",
            "mean_instead_of_sum"} <= ids["seq2seq_loss"]


def _raises(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("name,candidate", [(n, _raises) for n in ALTERNATIVES]
                         + [(n, ...) for n in CORRECT_ANSWERS])
def test_not_implemented_fails_cleanly(name, candidate):
    """A student who has not started yet gets a one-line reason, id not_implemented."""
    for hidden in (False, True):
        result = grader.check(exercise_id(name), candidate, hidden=hidden)
        assert not result.passed
        assert result.mistake == "not_implemented"
        assert "NotImplementedError" in result.feedback
        assert len(result.feedback.splitlines()) <= 3


@pytest.mark.parametrize("name", RANDOMISED)
def test_randomised_judges_ignore_the_reference_draws(name):
    """A randomised judge decides from the candidate's outputs alone: removing the
    reference's and the mistakes' outputs changes no verdict."""
    ex = get(exercise_id(name))
    h = ex.harness
    for candidate in (ALTERNATIVES[name][1], ex.entry.mistakes[0].fn):
        for case in cases_for(ex, hidden=True, seed=11):
            got = h.run(candidate, case)
            expected, mistakes = engine.expected_and_mistakes(ex, case)
            a = h.judge(got, expected, mistakes, case, hidden=True)
            b = h.judge(got, {}, [], case, hidden=True)
            assert (a.passed, a.mistake, a.feedback) == (b.passed, b.mistake, b.feedback)


@pytest.mark.parametrize("name", RANDOMISED)
def test_statistics_do_not_reject_correct_code(name):
    """False alarms: two correct implementations on 6 fresh hidden seeds each (bounds are
    about 5 standard errors; ``python -m tests.grader.test_denoising`` runs 100 seeds of
    every alternative, and found none)."""
    ex = get(exercise_id(name))
    for candidate in ALTERNATIVES[name][:2]:
        for seed in range(100, 106):
            for case in cases_for(ex, hidden=True, seed=seed):
                verdict = ex.harness.judge(ex.harness.run(candidate, case), {}, [], case, hidden=True)
                assert verdict.passed, verdict.feedback


def test_statistical_cases_have_the_power_they_claim():
    """The statistical cases are as large as their comments say: enough body tokens for the
    stated bounds, bodies of distinct ids, whole-number ratios, zero-length spans expected."""
    for hidden in (False, True):
        for name, ratio_key in (("token_masking", "mask_ratio"), ("token_deletion", "deletion_ratio")):
            case = {c.name: c for c in cases_for(get(exercise_id(name)), hidden=hidden, seed=4)}["statistics"]
            rows = _unpack_rows(case.inputs["tokens"], case.inputs["lengths"])
            bodies = [harnesses.split_boundary(r.tolist())[1] for r in rows]
            ratio = case.args["params"][ratio_key]
            assert all(len(set(b)) == len(b) and (ratio * len(b)).is_integer() for b in bodies)
            assert sum(len(bodies[r]) for r, _ in case.args["calls"]) >= 3000
            assert sum(1 for r, _ in case.args["calls"] if not harnesses.split_boundary(rows[r].tolist())[0]) >= 60
        case = cases_for(get(exercise_id("text_infilling")), hidden=hidden, seed=4)[1]
        rows = _unpack_rows(case.inputs["tokens"], case.inputs["lengths"])
        budget = sum(math.ceil(0.3 * len(harnesses.split_boundary(r.tolist())[1])) for r in rows)
        assert budget / 3.0 * math.exp(-3.0) >= 15  # zero-length spans expected among ~budget/3


def test_feedback_states_measured_and_expected():
    """Statistical feedback names what was measured, the expected value with its bound, and the hint."""
    result = grader.check(exercise_id("token_masking"), catalogue.tm_count_whole.fn)
    assert re.search(r"masked \d+ of \d+ body tokens = [\d.]+%; expected 40.0% \+/- [\d.]+%",
                     result.feedback), result.feedback
    result = grader.check(exercise_id("text_infilling"), catalogue.ti_no_zero.fn)
    assert "no [MASK] of the" in result.feedback and "e^-3" in result.feedback
    result = grader.check(exercise_id("document_rotation"), catalogue.dr_off_by_one.fn)
    assert "start positions came" in result.feedback


def test_hidden_feedback_shows_no_hidden_tokens():
    """A failing hidden case says what was wrong but prints none of its tokens."""
    result = grader.check(exercise_id("span_corruption"), catalogue.sc_no_final.fn, hidden=True, seed=3)
    assert "hidden case" in result.feedback and "tokens [" not in result.feedback
    result = grader.check(exercise_id("span_corruption"), catalogue.sc_no_final.fn)
    assert "tokens [" in result.feedback  # the visible case shows its tokens and outputs


def test_tolerance_holds_with_a_margin():
    """float32 alternatives against the float64 reference stay 5x inside the tolerance
    (the full measurement, 300 seeds, is quoted beside the tolerance)."""
    ex = get(exercise_id("seq2seq_loss"))
    tol = ex.harness.tolerance
    for seed in range(10):
        for case in cases_for(ex, hidden=True, seed=seed):
            expected = ex.harness.run(seq2seq_loss, case, torch.float64)
            for alt in LOSS_ALTERNATIVES:
                got = ex.harness.run(alt, case)
                for key, exp in expected.items():
                    err = (got[key].double() - exp).abs()
                    assert (err <= (tol.atol + tol.rtol * exp.abs()) / 5).all(), (alt.__name__, key)


def test_visible_and_hidden_flow_through_fixtures_and_evidence(tmp_path, monkeypatch):
    """The notebook path: visible checks against fixtures in the kernel, hidden evidence
    saved as plain tensors and judged by grader.verify in the trusted process."""
    fixtures = tmp_path / "fixtures.pt"
    torch.save(build_fixtures(LESSON), fixtures)
    monkeypatch.setattr(notebook, "fixtures_path", lambda: fixtures)
    monkeypatch.chdir(tmp_path)
    notebook.check("text_infilling", infilling_walk)
    notebook.check("shift_right", shift_cat)
    with pytest.raises(notebook.CheckFailed, match="final sentinel"):
        notebook.check("span_corruption", catalogue.sc_no_final.fn)
    for name, candidate, mistake_id in (
            ("span_corruption", span_t5_interleaved, None),
            ("text_infilling", catalogue.ti_mask_per_token.fn, "one_mask_per_token"),
            ("seq2seq_loss", catalogue.loss_mean_per_sequence.fn, "mean_per_sequence")):
        notebook.record(name, candidate, LESSON)
        result = grader.verify(exercise_id(name), evidence.read_evidence(tmp_path, name),
                               evidence.read_seed(tmp_path))
        assert result.passed == (mistake_id is None), result.feedback
        assert result.mistake == mistake_id


def test_fixtures_stay_small():
    """Recorded ids are packed into int16, so the lesson's fixtures (reference and every
    mistake on the large statistical cases) stay under 2 MB."""
    buffer = io.BytesIO()
    torch.save(build_fixtures(LESSON), buffer)
    assert buffer.tell() < 2_000_000


def _cell_namespace() -> dict:
    """What a solution cell sees in the notebook: torch, F, math, the token ids and the
    notebook's own split_boundary helper (taken from its "helpers" cell)."""
    namespace: dict = {"torch": torch, "F": F, "math": math, "CLS_ID": 2, "SEP_ID": 3,
                       "BOS_ID": 5, "EOS_ID": 6}
    helpers = next(c for c in _cells() if c.get("id") == "helpers")
    tree = ast.parse("".join(helpers["source"]))
    keep = [node for node in tree.body
            if (isinstance(node, ast.FunctionDef) and node.name == "split_boundary")
            or (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in ("LEADING_IDS", "TRAILING_IDS"))]
    exec(compile(ast.Module(keep, []), "<helpers cell>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("path", MISTAKE_FILES, ids=lambda p: p.name)
def test_mistake_notebook_cells_are_diagnosed(path):
    """Each file in solutions/06_denoising/mistakes/ is a student's solution cell with one
    catalogued mistake (named in the file name); the grader names that mistake."""
    name, mistake_id = path.stem.split("__")
    namespace = _cell_namespace()
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
def test_notebook_solutions_pass_their_checks():
    """The source notebook's own solution cells pass every check, visible and hidden."""
    namespace = _cell_namespace()
    by_id = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in _cells()}
    for name in _entries():
        cell = by_id.get(f"ex_{name}") or by_id[f"answer_{name}"]
        exec(compile("".join(cell["source"]), f"<{name} cell>", "exec"), namespace)
        for hidden in (False, True):
            result = grader.check(exercise_id(name), namespace[name], hidden=hidden, seed=5)
            assert result.passed, result.feedback


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="source notebook not written yet")
def test_blocks_list_never_ships_this_lessons_solutions():
    """blocks.txt lists reference modules, one dotted name per line; never reference.denoising,
    and every ``from blocks.X`` the notebook uses is listed."""
    listed = [line.strip() for line in (NOTEBOOK.parent / "blocks.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert all(name.startswith("reference.") for name in listed)
    assert not any(name.split(".")[1] == "denoising" for name in listed)
    code = "\n".join("".join(c["source"]) for c in _cells() if c["cell_type"] == "code")
    used = set(re.findall(r"^\s*from blocks\.(\w+)", code, re.M))
    assert used <= {name.split(".")[1] for name in listed}


# --- measurement (python -m tests.grader.test_denoising) -------------------------------------
def _measure(seeds: int = 300) -> None:
    ex = get(exercise_id("seq2seq_loss"))
    worst: dict[str, float] = {}
    rel = 0.0
    for seed in range(seeds):
        for hidden in (False, True):
            for case in cases_for(ex, hidden=hidden, seed=seed):
                expected = ex.harness.run(seq2seq_loss, case, torch.float64)
                for alt in LOSS_ALTERNATIVES:
                    got = ex.harness.run(alt, case)
                    for key, exp in expected.items():
                        err = float((got[key].double() - exp).abs().max())
                        worst[key] = max(worst.get(key, 0.0), err)
                        if key == "sum":
                            rel = max(rel, err / float(exp.abs()))
    print("seq2seq_loss max abs error, float32 vs float64:", {k: f"{v:.2g}" for k, v in worst.items()},
          f"relative on sum {rel:.2g}")
    for name in RANDOMISED:
        ex = get(exercise_id(name))
        failures = 0
        for seed in range(seeds // 3):
            for case in cases_for(ex, hidden=True, seed=1000 + seed):
                for alt in ALTERNATIVES[name]:
                    verdict = ex.harness.judge(ex.harness.run(alt, case), {}, [], case, hidden=True)
                    failures += not verdict.passed
                    if not verdict.passed:
                        print(name, alt.__name__, verdict.feedback)
        print(f"{name}: {failures} false alarms over {seeds // 3} seeds x {len(ALTERNATIVES[name])} "
              "alternatives")


if __name__ == "__main__":
    _measure()
