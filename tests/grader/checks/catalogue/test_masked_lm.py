"""Lesson 05 checks: every correct alternative passes, every catalogued mistake fails
with its own id, in visible and hidden mode (COURSE.md section 5).

``mask_tokens`` is randomised: its alternatives draw their random numbers in very
different ways (sequential Bernoulli, exact counts, one uniform draw, multinomial,
rejection sampling, a Python loop), so they only pass if the harness judges the
properties of the outputs and not the reference's draws.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import grader
from grader.checks.catalogue import masked_lm as catalogue
from grader.checks.engine import cases_for
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import get
from grader.labkit import evidence, notebook
from grader.labkit.exercises.masked_lm import MaskTokens
from reference.mlm import mask_tokens as reference_mask_tokens

LESSON = "05_masked_lm"
ROOT = Path(__file__).resolve().parents[4]
NOTEBOOK = ROOT / "solutions" / LESSON / f"{LESSON}.ipynb"
MISTAKE_FILES = sorted((ROOT / "solutions" / LESSON / "mistakes").glob("*.py"))
SEEDS = (1, 2, 3)


def exercise_id(name: str) -> str:
    return f"{LESSON}/{name}"


# --- a bank of correct mask_tokens --------------------------------------------------
def _special(input_ids, special_ids):
    special = torch.zeros_like(input_ids, dtype=torch.bool)
    for s in special_ids:
        special |= input_ids == s
    return special


def _words(vocab_size, special_ids):
    banned = set(int(s) for s in special_ids)
    return torch.tensor([i for i in range(vocab_size) if i not in banned], dtype=torch.long)


def mask_hf_sequential(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                       mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Hugging Face's collator: Bernoulli selection, then 80% of it, then half of the rest."""
    labels = input_ids.clone()
    prob = torch.full(input_ids.shape, mlm_probability)
    prob.masked_fill_(_special(input_ids, special_ids), 0.0)
    selected = torch.bernoulli(prob, generator=generator).bool()
    labels[~selected] = -100
    inputs = input_ids.clone()
    full = torch.full(input_ids.shape, mask_replace_prob)
    replaced = torch.bernoulli(full, generator=generator).bool() & selected
    inputs[replaced] = mask_token_id
    rest = torch.full(input_ids.shape, random_replace_prob / (1 - mask_replace_prob))
    randomised = torch.bernoulli(rest, generator=generator).bool() & selected & ~replaced
    words = _words(vocab_size, special_ids)
    inputs[randomised] = words[torch.randint(len(words), (int(randomised.sum()),), generator=generator)]
    return inputs, labels


def mask_exact_count_batch(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                           mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Exactly round(p * eligible) positions of the batch, then exact 80/10/10 counts."""
    flat = input_ids.reshape(-1)
    eligible = (~_special(flat, special_ids)).nonzero().squeeze(1)
    k = round(mlm_probability * len(eligible))
    chosen = eligible[torch.randperm(len(eligible), generator=generator)[:k]]
    n_mask, n_random = round(mask_replace_prob * k), round(random_replace_prob * k)
    inputs, labels = flat.clone(), torch.full_like(flat, -100)
    labels[chosen] = flat[chosen]
    inputs[chosen[:n_mask]] = mask_token_id
    words = _words(vocab_size, special_ids)
    rand_pos = chosen[n_mask:n_mask + n_random]
    inputs[rand_pos] = words[torch.randint(len(words), (len(rand_pos),), generator=generator)]
    return inputs.reshape(input_ids.shape), labels.reshape(input_ids.shape)


def mask_exact_count_rows(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                          mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Exactly round(p * eligible_in_row) positions per row (random scores, top ranks)."""
    special = _special(input_ids, special_ids)
    scores = torch.rand(input_ids.shape, generator=generator).masked_fill(special, 2.0)
    ranks = scores.argsort(dim=1).argsort(dim=1)  # (B, T) rank of each position in its row
    k = ((~special).sum(1).double() * mlm_probability).round().long()  # (B,)
    selected = ranks < k[:, None]
    u = torch.rand(input_ids.shape, generator=generator)
    to_mask = selected & (u < mask_replace_prob)
    to_random = selected & (u >= mask_replace_prob) & (u < mask_replace_prob + random_replace_prob)
    words = _words(vocab_size, special_ids)
    random_ids = words[torch.randint(len(words), input_ids.shape, generator=generator)]
    inputs = torch.where(to_random, random_ids, torch.where(to_mask, mask_token_id, input_ids))
    return inputs, torch.where(selected, input_ids, -100)


def mask_one_draw_bins(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                       mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """One uniform number per position split into bins [0, p*0.8), [p*0.8, p*0.9), [p*0.9, p)."""
    u = torch.rand(input_ids.shape, generator=generator)
    special = _special(input_ids, special_ids)
    a = mlm_probability * mask_replace_prob
    b = a + mlm_probability * random_replace_prob
    selected = (u < mlm_probability) & ~special
    words = _words(vocab_size, special_ids)
    random_ids = words[torch.randint(len(words), input_ids.shape, generator=generator)]
    inputs = input_ids.clone()
    inputs[selected & (u < a)] = mask_token_id
    pick = selected & (u >= a) & (u < b)
    inputs[pick] = random_ids[pick]
    labels = input_ids.clone()
    labels[~selected] = -100
    return inputs, labels


def mask_multinomial(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                     mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """torch.multinomial: per row round(p * eligible) positions, then one of three actions."""
    special = _special(input_ids, special_ids)
    selected = torch.zeros_like(special)
    for row in range(input_ids.shape[0]):
        weights = (~special[row]).double()
        k = round(mlm_probability * int(weights.sum()))
        if k > 0:
            selected[row, torch.multinomial(weights, k, replacement=False, generator=generator)] = True
    positions = selected.nonzero(as_tuple=True)
    actions = torch.multinomial(torch.tensor([mask_replace_prob, random_replace_prob,
                                              1 - mask_replace_prob - random_replace_prob]),
                                len(positions[0]), replacement=True, generator=generator)
    words = _words(vocab_size, special_ids)
    new = input_ids[positions].clone()
    new[actions == 0] = mask_token_id
    n_random = int((actions == 1).sum())
    new[actions == 1] = words[torch.randint(len(words), (n_random,), generator=generator)]
    inputs = input_ids.clone()
    inputs[positions] = new
    labels = torch.full_like(input_ids, -100)
    labels[positions] = input_ids[positions]
    return inputs, labels


def mask_python_loop(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                     mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Plain Python over lists, with every random number drawn up front from the generator."""
    rows = input_ids.tolist()
    b, t = input_ids.shape
    u1 = torch.rand(b, t, generator=generator).tolist()
    u2 = torch.rand(b, t, generator=generator).tolist()
    words = _words(vocab_size, special_ids).tolist()
    picks = torch.randint(len(words), (b, t), generator=generator).tolist()
    specials = set(special_ids)
    inputs, labels = [], []
    for i, row in enumerate(rows):
        new_row, label_row = [], []
        for j, tok in enumerate(row):
            if tok in specials or u1[i][j] >= mlm_probability:
                new_row.append(tok)
                label_row.append(-100)
                continue
            label_row.append(tok)
            if u2[i][j] < mask_replace_prob:
                new_row.append(mask_token_id)
            elif u2[i][j] < mask_replace_prob + random_replace_prob:
                new_row.append(words[picks[i][j]])
            else:
                new_row.append(tok)
        inputs.append(new_row)
        labels.append(label_row)
    return torch.tensor(inputs), torch.tensor(labels)


def mask_rejection(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                   mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Random ids drawn from the whole vocabulary and redrawn while they are special."""
    specials = torch.tensor(list(special_ids))
    special = torch.isin(input_ids, specials)
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special
    u = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    while True:
        bad = torch.isin(random_ids, specials)
        if not bad.any():
            break
        random_ids[bad] = torch.randint(vocab_size, (int(bad.sum()),), generator=generator)
    inputs = input_ids.masked_fill(selected & (u < mask_replace_prob), mask_token_id)
    rnd = selected & (u >= 1 - random_replace_prob)  # the top 10% of the draw: random
    inputs = torch.where(rnd, random_ids, inputs)
    return inputs, input_ids.masked_fill(~selected, -100)


def mask_randint_offset(input_ids, *, mask_token_id, vocab_size, special_ids, mlm_probability=0.15,
                        mask_replace_prob=0.8, random_replace_prob=0.1, generator=None):
    """Random ids from randint(len(special_ids), vocab_size): the course's specials are 0..14."""
    special = torch.isin(input_ids, torch.tensor(list(special_ids)))
    selected = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special
    action = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(len(special_ids), vocab_size, input_ids.shape, generator=generator)
    inputs = input_ids.clone()
    inputs[selected & (action < mask_replace_prob)] = mask_token_id
    pick = selected & (action >= mask_replace_prob) & (action < mask_replace_prob + random_replace_prob)
    inputs[pick] = random_ids[pick]
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, -100))
    return inputs, labels


MASK_ALTERNATIVES = [reference_mask_tokens, mask_hf_sequential, mask_exact_count_batch,
                     mask_exact_count_rows, mask_one_draw_bins, mask_multinomial, mask_python_loop,
                     mask_rejection, mask_randint_offset]


# --- a bank of correct mlm_loss ------------------------------------------------------------
def loss_flat_cross_entropy(logits, labels):
    """The one-liner: ignore_index=-100 is F.cross_entropy's default."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


def loss_boolean_index(logits, labels):
    keep = labels != -100
    return F.cross_entropy(logits[keep], labels[keep])


def loss_log_softmax_gather(logits, labels):
    keep = labels != -100
    logp = F.log_softmax(logits, dim=-1)
    picked = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return -(picked * keep).sum() / keep.sum()


def loss_log_of_softmax(logits, labels):
    keep = labels != -100
    probs = torch.softmax(logits[keep], dim=-1)
    return -torch.log(probs[torch.arange(len(probs)), labels[keep]]).mean()


def loss_nll_class_dim(logits, labels):
    return F.nll_loss(F.log_softmax(logits, dim=-1).transpose(1, 2), labels)


def loss_cross_entropy_class_dim(logits, labels):
    return F.cross_entropy(logits.permute(0, 2, 1), labels, ignore_index=-100)


def loss_logsumexp(logits, labels):
    keep = labels != -100
    sel, target = logits[keep], labels[keep]
    return (torch.logsumexp(sel, dim=-1) - sel[torch.arange(len(sel)), target]).mean()


def loss_sum_then_divide(logits, labels):
    total = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="sum")
    return total / (labels != -100).sum()


LOSS_ALTERNATIVES = [loss_flat_cross_entropy, loss_boolean_index, loss_log_softmax_gather,
                     loss_log_of_softmax, loss_nll_class_dim, loss_cross_entropy_class_dim,
                     loss_logsumexp, loss_sum_then_divide]


# --- a bank of correct MLMHead ---------------------------------------------------------
class HeadModules(nn.Module):
    """nn.GELU as a module (it has no parameters, so the state dict is unchanged)."""

    def __init__(self, d_model, vocab_size):
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.act = nn.GELU()
        self.norm = nn.LayerNorm(d_model)
        self.proj = nn.Linear(d_model, vocab_size)

    def forward(self, hidden):
        return self.proj(self.norm(self.act(self.dense(hidden))))


class HeadErfFunctional(nn.Module):
    """GELU written with erf, LayerNorm through F.layer_norm."""

    def __init__(self, d_model, vocab_size):
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.norm = nn.LayerNorm(d_model, eps=1e-5)
        self.proj = nn.Linear(d_model, vocab_size)

    def forward(self, hidden):
        x = self.dense(hidden)
        x = 0.5 * x * (1 + torch.erf(x / math.sqrt(2.0)))
        x = F.layer_norm(x, x.shape[-1:], self.norm.weight, self.norm.bias, 1e-5)
        return self.proj(x)


class HeadByHand(nn.Module):
    """Linear maps and LayerNorm written out (biased variance, eps 1e-5)."""

    def __init__(self, d_model, vocab_size):
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.norm = nn.LayerNorm(d_model)
        self.proj = nn.Linear(d_model, vocab_size)

    def forward(self, hidden):
        x = F.gelu(hidden @ self.dense.weight.T + self.dense.bias)
        mean = x.mean(-1, keepdim=True)
        var = x.var(-1, unbiased=False, keepdim=True)
        x = (x - mean) / torch.sqrt(var + 1e-5) * self.norm.weight + self.norm.bias
        return torch.einsum("bte,ve->btv", x, self.proj.weight) + self.proj.bias


HEAD_ALTERNATIVES = [catalogue.MLMHeadReference, HeadModules, HeadErfFunctional, HeadByHand]

ALTERNATIVES = {"mask_tokens": MASK_ALTERNATIVES, "mlm_loss": LOSS_ALTERNATIVES,
                "MLMHead": HEAD_ALTERNATIVES}
CORRECT_ANSWERS = {"mask_fraction": [0.12, 0.120, 12 / 100], "loss_positions": [3, 3.0, 0.15 * 20],
                   "why_keep": ["b", " B "]}


def _entries():
    return {e.exercise_id.split("/", 1)[1]: e for e in catalogue.ENTRIES}


def _all_mistakes():
    return [(name, m) for name, e in _entries().items() for m in e.mistakes]


def _modes():
    return [(False, None)] + [(True, s) for s in SEEDS]


# --- tests ---------------------------------------------------------------------------
def test_lesson_lists_its_exercises():
    """The lesson's six exercises are registered, each with a harness and a catalogue entry."""
    assert set(grader.list_exercises(LESSON)) == {
        exercise_id(n) for n in ("mask_tokens", "mlm_loss", "MLMHead", "mask_fraction",
                                 "loss_positions", "why_keep")}


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
    """Right answers pass whichever way they are written (0.12 or 12/100, 'b' or ' B ')."""
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


def test_mask_tokens_mistakes_cover_the_catalogue_list():
    """The mistakes the course names for mask_tokens are all in the catalogue."""
    ids = {m.id for m in _entries()["mask_tokens"].mistakes}
    assert {"selects_special_tokens", "random_from_full_vocab", "labels_not_ignored",
            "labels_hold_mask_id", "mutates_input", "ignores_generator", "no_random_or_keep",
            "selection_count_over_all_positions", "masks_15_percent_instead_of_selecting"} <= ids


def _raises(*args, **kwargs):
    raise NotImplementedError()


class _HeadNotDone(nn.Module):
    def __init__(self, d_model, vocab_size):
        super().__init__()
        raise NotImplementedError()


@pytest.mark.parametrize("name,candidate", [("mask_tokens", _raises), ("mlm_loss", _raises),
                                            ("MLMHead", _HeadNotDone), ("mask_fraction", ...),
                                            ("loss_positions", ...), ("why_keep", ...)])
def test_not_implemented_fails_cleanly(name, candidate):
    """A student who has not started yet gets a one-line reason, id not_implemented."""
    for hidden in (False, True):
        result = grader.check(exercise_id(name), candidate, hidden=hidden)
        assert not result.passed
        assert result.mistake == "not_implemented"
        assert "NotImplementedError" in result.feedback
        assert len(result.feedback.splitlines()) <= 3


def test_mask_tokens_judge_ignores_the_reference_draws():
    """The randomised judge decides from the candidate's outputs alone: removing the
    reference's outputs and the mistakes' outputs changes no verdict."""
    ex = get(exercise_id("mask_tokens"))
    h = ex.harness
    for candidate in (mask_hf_sequential, catalogue.mask_no_keep.fn, catalogue.mask_global_rng.fn):
        for case in cases_for(ex, hidden=True, seed=11):
            got = h.run(candidate, case)
            a = h.judge(got, h.run(reference_mask_tokens, case, torch.float64), [], case, hidden=True)
            b = h.judge(got, {}, [], case, hidden=True)
            assert (a.passed, a.mistake, a.feedback) == (b.passed, b.mistake, b.feedback)


def test_mask_tokens_statistics_do_not_reject_correct_code():
    """False alarms: two correct implementations on 20 fresh seeds each (the bounds are
    mean +/- 5 standard errors, below 1e-6 false failures per quantity)."""
    ex = get(exercise_id("mask_tokens"))
    for candidate in (reference_mask_tokens, mask_exact_count_rows):
        for seed in range(100, 120):
            for case in cases_for(ex, hidden=True, seed=seed):
                if not case.args["stats"]:
                    continue
                verdict = ex.harness.judge(ex.harness.run(candidate, case), {}, [], case, hidden=True)
                assert verdict.passed, verdict.feedback


def test_mask_tokens_feedback_states_measured_and_expected():
    """Statistical feedback names what was measured, the expected value with its bound, and the hint."""
    result = grader.check(exercise_id("mask_tokens"), catalogue.mask_count_over_all.fn)
    assert re.search(r"selected \d+ of \d+ eligible tokens = [\d.]+%; expected 15.0% \+/- [\d.]+%",
                     result.feedback), result.feedback
    result = grader.check(exercise_id("mask_tokens"), catalogue.mask_all_selected.fn)
    assert "100.0% became [MASK]" in result.feedback and "expected 80.0% +/-" in result.feedback


def test_mask_tokens_cases_cover_what_the_checks_need():
    """Cases hold padding, [CLS]/[SEP], other specials inside sentences, a small vocabulary
    (so a draw from all ids hits a special) and enough eligible tokens for tight bounds."""
    ex = get(exercise_id("mask_tokens"))
    for hidden in (False, True):
        cases = {c.name: c for c in cases_for(ex, hidden=hidden, seed=3)}
        stats = cases["statistics, default probabilities"]
        ids = stats.inputs["input_ids"].long()
        eligible = int((ids >= 15).sum())
        assert eligible >= 7000
        assert (ids == 0).float().mean() > 0.2  # a lot of padding
        for special in (1, 2, 3):
            assert (ids == special).any()
        assert stats.args["vocab_size"] - 15 <= 25
        assert list(cases["same seed twice, another seed once"].args["calls"]) == ["first", "again", "other"]


def test_tolerances_hold_with_a_margin():
    """float32 alternatives against the float64 reference stay 5x inside the tolerances
    (the full measurement, 300 seeds, is quoted beside each tolerance)."""
    for name, alts in (("mlm_loss", LOSS_ALTERNATIVES), ("MLMHead", HEAD_ALTERNATIVES)):
        ex = get(exercise_id(name))
        tol = ex.harness.tolerance
        for seed in range(10):
            for case in cases_for(ex, hidden=True, seed=seed):
                expected = ex.harness.run(ex.entry.reference, case, torch.float64)
                for alt in alts:
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
    notebook.check("mask_tokens", reference_mask_tokens)
    with pytest.raises(notebook.CheckFailed, match="became \\[MASK\\]"):
        notebook.check("mask_tokens", catalogue.mask_all_selected.fn)
    for candidate, mistake_id in ((mask_multinomial, None), (catalogue.mask_global_rng.fn, "ignores_generator"),
                                  (catalogue.mask_random_full_vocab.fn, "random_from_full_vocab")):
        notebook.record("mask_tokens", candidate)
        result = grader.verify(exercise_id("mask_tokens"), evidence.read_evidence(tmp_path, "mask_tokens"),
                               evidence.read_seed(tmp_path))
        assert result.passed == (mistake_id is None), result.feedback
        assert result.mistake == mistake_id


def test_fixtures_stay_small():
    """Recorded ids are packed into the smallest integer dtype, so the lesson's fixtures
    (reference and every mistake on the large statistical cases) stay under 1 MB."""
    buffer = io.BytesIO()
    torch.save(build_fixtures(LESSON), buffer)
    assert buffer.tell() < 1_000_000


@pytest.mark.parametrize("path", MISTAKE_FILES, ids=lambda p: p.name)
def test_mistake_notebook_cells_are_diagnosed(path):
    """Each file in solutions/05_masked_lm/mistakes/ is a student's solution cell with one
    catalogued mistake (named in the file name); the grader names that mistake."""
    name, mistake_id = path.stem.split("__")
    namespace: dict = {"torch": torch, "nn": nn, "F": F}  # what the notebook's first cell imports
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    for hidden in (False, True):
        result = grader.check(exercise_id(name), namespace[name], hidden=hidden)
        assert result.mistake == mistake_id, result.feedback


def test_there_are_mistake_cells_for_several_exercises():
    """At least four catalogued mistakes across at least two exercises have a notebook cell."""
    names = {p.stem.split("__")[0] for p in MISTAKE_FILES}
    assert len(MISTAKE_FILES) >= 4 and len(names) >= 2


def _cells():
    nb = json.loads(NOTEBOOK.read_text())
    return nb["cells"]


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


def test_every_mask_tokens_mistake_has_a_shipped_hint():
    """The hints of mask_tokens mistakes ship with the harness (the judge needs them in the
    student's kernel); every catalogued mistake uses exactly that text."""
    hints = MaskTokens().hints
    for m in _entries()["mask_tokens"].mistakes:
        assert m.hint == hints[m.id]
