"""Lesson 07 (the training objective): every correct alternative passes, every catalogued
mistake fails with its own id, in visible and in hidden mode.

Run as a script (``python -m tests.grader.test_objective [seeds] [exercise ...]``) it
measures the tolerances: the largest error of the bank of correct float32
implementations against the float64 reference, over many seeds.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import clip_grad_norm_

import grader
import grader.checks.engine as engine
from grader.checks.catalogue import objective as catalogue
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import get
from grader.labkit import evidence, notebook
from grader.labkit.compare import GRAD_PREFIX
from grader.labkit.exercises.objective import LEFT_PREFIX, TinyNet

LESSON = "07_objective"
HIDDEN_SEEDS = (3, 11)
ROOT = Path(__file__).resolve().parents[4]
SOLUTION = ROOT / "solutions" / LESSON
NOTEBOOK = SOLUTION / f"{LESSON}.ipynb"


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
        h = hashlib.sha256(f"{ex.id}|{case.name}|{case.describe}|{sorted(case.args.items())}".encode())
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

# --- sequence_log_prob


def slp_cross_entropy(logits, targets, ignore_index=-100):
    """F.cross_entropy with the classes in dimension 1 gives the per-token NLL."""
    nll = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=ignore_index, reduction="none")
    return -nll.sum(dim=1)


def slp_gather_where(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    lp = torch.log_softmax(logits, dim=-1)
    picked = lp.gather(2, torch.where(keep, targets, 0).unsqueeze(2)).squeeze(2)
    return torch.where(keep, picked, 0.0).sum(1)


def slp_logsumexp(logits, targets, ignore_index=-100):
    keep = (targets != ignore_index).to(logits.dtype)
    safe = targets.clamp(min=0) * (targets != ignore_index)
    score = logits.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    return ((score - torch.logsumexp(logits, dim=-1)) * keep).sum(-1)


def slp_one_hot(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    one_hot = F.one_hot(targets.masked_fill(~keep, 0), logits.shape[-1]).to(logits.dtype)
    per_token = (one_hot * F.log_softmax(logits, -1)).sum(-1)
    return (per_token * keep).sum(-1)


def slp_loops(logits, targets, ignore_index=-100):
    """Plain Python over sequences and positions."""
    lp = F.log_softmax(logits, dim=-1)
    out = []
    for b in range(targets.shape[0]):
        total = lp.new_zeros(())
        for t in range(targets.shape[1]):
            y = int(targets[b, t])
            if y != ignore_index:
                total = total + lp[b, t, y]
        out.append(total)
    return torch.stack(out)


def slp_log_of_softmax(logits, targets, ignore_index=-100):
    keep = targets != ignore_index
    probs = torch.softmax(logits, dim=-1)
    picked = probs.gather(-1, targets.masked_fill(~keep, 0)[..., None])[..., 0]
    return torch.log(picked).masked_fill(~keep, 0.0).sum(-1)


def slp_index_add(logits, targets, ignore_index=-100):
    """Boolean selection of the kept positions, summed back per sequence with index_add."""
    keep = targets != ignore_index
    rows, cols = keep.nonzero(as_tuple=True)
    lp = F.log_softmax(logits, dim=-1)[rows, cols, targets[rows, cols]]
    return torch.zeros(targets.shape[0], dtype=logits.dtype).index_add(0, rows, lp)


def slp_nll_loss(logits, targets, ignore_index=-100):
    lp = F.log_softmax(logits, dim=-1)
    return -F.nll_loss(lp.permute(0, 2, 1), targets, ignore_index=ignore_index, reduction="none").sum(-1)


# --- dataset_nll


def nll_cross_entropy(logits, targets, reduction="sum", ignore_index=-100):
    per_token = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=ignore_index,
                                reduction="none")  # (B, T)
    per_seq = per_token.sum(1)
    n = (targets != ignore_index).sum(1)
    if reduction == "sum":
        return per_seq.sum()
    if reduction == "mean":
        return per_seq.mean()
    if reduction == "token_mean":
        return per_seq.sum() / n.sum()
    if reduction == "length_normalized":
        return (per_seq / n).mean()
    raise ValueError(reduction)


def nll_from_sequence_log_prob(logits, targets, reduction="sum", ignore_index=-100):
    """Built on a sequence log-probability, as the notebook suggests."""
    nll = -slp_gather_where(logits, targets, ignore_index)
    lengths = (targets != ignore_index).sum(-1).to(nll.dtype)
    return {"sum": lambda: nll.sum(), "mean": lambda: nll.sum() / len(nll),
            "token_mean": lambda: nll.sum() / lengths.sum(),
            "length_normalized": lambda: (nll / lengths).sum() / len(nll)}[reduction]()


def nll_builtin_reductions(logits, targets, reduction="sum", ignore_index=-100):
    """F.cross_entropy's own 'sum' and 'mean' (a per-token mean with ignore_index)."""
    flat_logits, flat_targets = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    if reduction == "sum":
        return F.cross_entropy(flat_logits, flat_targets, ignore_index=ignore_index, reduction="sum")
    if reduction == "mean":
        total = F.cross_entropy(flat_logits, flat_targets, ignore_index=ignore_index, reduction="sum")
        return total / targets.shape[0]
    if reduction == "token_mean":
        return F.cross_entropy(flat_logits, flat_targets, ignore_index=ignore_index)
    means = [F.cross_entropy(logits[b], targets[b], ignore_index=ignore_index)
             for b in range(targets.shape[0])]
    return torch.stack(means).mean()


def nll_masked_mean(logits, targets, reduction="sum", ignore_index=-100):
    keep = targets != ignore_index
    lp = F.log_softmax(logits, -1).gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    per_token = -lp * keep
    if reduction == "sum":
        return per_token.sum()
    if reduction == "mean":
        return per_token.sum(1).mean()
    if reduction == "token_mean":
        return per_token[keep].mean()
    return (per_token.sum(1) / keep.sum(1)).mean()


# --- causal_lm_loss


def clm_cross_entropy_pad_as_ignore(logits, input_ids, pad_id=0):
    """pad_id itself as F.cross_entropy's ignore_index."""
    return F.cross_entropy(logits[:, :-1].transpose(1, 2), input_ids[:, 1:], ignore_index=pad_id)


def clm_flat_minus_100(logits, input_ids, pad_id=0):
    targets = input_ids[:, 1:].masked_fill(input_ids[:, 1:] == pad_id, -100)
    v = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, v), targets.reshape(-1))


def clm_boolean_index(logits, input_ids, pad_id=0):
    preds, targets = logits[:, :-1], input_ids[:, 1:]
    keep = targets != pad_id
    return F.cross_entropy(preds[keep], targets[keep])


def clm_log_softmax_sum(logits, input_ids, pad_id=0):
    lp = F.log_softmax(logits[:, :-1], dim=-1)
    targets = input_ids[:, 1:]
    keep = (targets != pad_id).to(lp.dtype)
    picked = lp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return -(picked * keep).sum() / keep.sum()


def clm_via_dataset_nll(logits, input_ids, pad_id=0):
    """The notebook's way: shift, mark padding -100, then the per-token mean NLL."""
    targets = input_ids[:, 1:].masked_fill(input_ids[:, 1:] == pad_id, -100)
    return nll_cross_entropy(logits[:, :-1], targets, reduction="token_mean")


def clm_loop(logits, input_ids, pad_id=0):
    total, count = logits.new_zeros(()), 0
    for b in range(input_ids.shape[0]):
        for t in range(input_ids.shape[1] - 1):
            y = int(input_ids[b, t + 1])
            if y == pad_id:
                continue
            total = total - torch.log_softmax(logits[b, t], dim=0)[y]
            count += 1
    return total / count


# --- train_step


def ts_canonical(model, batch, loss_fn, optimizer, max_grad_norm):
    optimizer.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


def ts_zero_grads_kept(model, batch, loss_fn, optimizer, max_grad_norm):
    """zero_grad(set_to_none=False) and float(loss)."""
    optimizer.zero_grad(set_to_none=False)
    loss = loss_fn(model, batch)
    loss.backward()
    clip_grad_norm_(model.parameters(), max_norm=max_grad_norm)
    optimizer.step()
    return float(loss)


def ts_zero_grad_at_end(model, batch, loss_fn, optimizer, max_grad_norm):
    """Gradients cleared after the update instead of before the next one."""
    loss = loss_fn(model, batch)
    loss.backward()
    clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    optimizer.zero_grad()
    return loss.detach().item()


def ts_manual_clip(model, batch, loss_fn, optimizer, max_grad_norm):
    """Clipping written out: one norm over every gradient, scaled only when it is too big."""
    model.zero_grad()
    loss = loss_fn(model, batch)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    total = torch.sqrt(sum(g.pow(2).sum() for g in grads))
    if total > max_grad_norm:
        for g in grads:
            g.mul_(max_grad_norm / total)
    optimizer.step()
    return loss.item()


def ts_param_groups(model, batch, loss_fn, optimizer, max_grad_norm):
    """The parameters taken from the optimizer; the loss value read before backward."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for p in params:
        p.grad = None
    loss = loss_fn(model, batch)
    value = loss.item()
    loss.backward()
    clip_grad_norm_(params, max_grad_norm, norm_type=2.0)
    optimizer.step()
    return value


def ts_train_mode(model, batch, loss_fn, optimizer, max_grad_norm):
    """model.train() first, the norm's scale applied with torch.clamp."""
    model.train()
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model, batch)
    loss.backward()
    params = [p for p in model.parameters() if p.grad is not None]
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params]))
    scale = torch.clamp(max_grad_norm / (norm + 1e-6), max=1.0)
    for p in params:
        p.grad.detach().mul_(scale)
    optimizer.step()
    return loss.item()


BANK = {
    "sequence_log_prob": [catalogue.sequence_log_prob, slp_cross_entropy, slp_gather_where,
                          slp_logsumexp, slp_one_hot, slp_loops, slp_log_of_softmax, slp_index_add,
                          slp_nll_loss],
    "dataset_nll": [catalogue.dataset_nll, nll_cross_entropy, nll_from_sequence_log_prob,
                    nll_builtin_reductions, nll_masked_mean],
    "causal_lm_loss": [catalogue.causal_lm_loss, clm_cross_entropy_pad_as_ignore, clm_flat_minus_100,
                       clm_boolean_index, clm_log_softmax_sum, clm_via_dataset_nll, clm_loop],
    "train_step": [catalogue.train_step, ts_canonical, ts_zero_grads_kept, ts_zero_grad_at_end,
                   ts_manual_clip, ts_param_groups, ts_train_mode],
}
CORRECT_ANSWERS = {"long_sequences": ["b", " B "], "objective_change": [2.5, 2.50, 5 / 2, 2.5000001],
                   "parallel_training": ["b", "B"]}
QUESTIONS = tuple(CORRECT_ANSWERS)


def _entries():
    return {e.exercise_id.split("/", 1)[1]: e for e in catalogue.ENTRIES}


# =========================================================================== tests


def test_lesson_lists_its_exercises():
    """The lesson's exercises are registered, each with a harness and a catalogue entry."""
    assert grader.list_exercises(LESSON) == sorted(xid(n) for n in (*BANK, *QUESTIONS))


@pytest.mark.parametrize("name,candidate", [(n, c) for n, alts in BANK.items() for c in alts])
@pytest.mark.parametrize("hidden,seed", modes())
def test_correct_alternatives_pass(name, candidate, hidden, seed):
    """Every correct implementation in the bank passes, visible and hidden."""
    result = grader.check(xid(name), candidate, hidden=hidden, seed=seed)
    assert result.passed, result.feedback
    assert result.mistake is None


@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in CORRECT_ANSWERS.items() for a in answers])
def test_correct_answers_pass(name, answer):
    """Right answers pass however they are written (2.5 or 5/2, 'b' or ' B ')."""
    for hidden in (False, True):
        assert grader.check(xid(name), answer, hidden=hidden).passed


def _all_mistakes():
    return [pytest.param(name, m, id=f"{name}-{m.id}") for name, e in _entries().items()
            for m in e.mistakes]


@pytest.mark.parametrize("name,m", _all_mistakes())
@pytest.mark.parametrize("hidden,seed", modes())
def test_catalogued_mistakes_fail_with_their_id(name, m, hidden, seed):
    """Each catalogued mistake fails with its own id and hint; the feedback is short."""
    result = grader.check(xid(name), m.fn, hidden=hidden, seed=seed)
    assert not result.passed
    assert result.mistake == m.id, result.feedback
    assert m.hint in result.feedback
    assert len(result.feedback.splitlines()) < 15


def test_mistake_ids_are_unique_per_exercise():
    """Within one exercise, every catalogued mistake has its own id."""
    for name, entry in _entries().items():
        ids = [m.id for m in entry.mistakes]
        assert len(ids) == len(set(ids)), name


def test_the_mistakes_the_course_names_are_catalogued():
    """The mistakes the lesson plan names are all in the catalogue."""
    ids = {name: {m.id for m in e.mistakes} for name, e in _entries().items()}
    assert {"no_log_softmax", "log_softmax_wrong_axis", "ignored_positions_counted",
            "mean_instead_of_sum", "mean_over_vocab"} <= ids["sequence_log_prob"]
    assert {"padding_counted", "sum_divided_by_batch", "mean_not_divided",
            "mean_over_vocab"} <= ids["dataset_nll"]
    assert {"no_shift", "shift_wrong_direction", "padding_counted", "sum_instead_of_mean",
            "softmax_wrong_axis", "no_log_softmax"} <= ids["causal_lm_loss"]
    assert {"step_before_backward", "no_zero_grad", "clip_after_step", "clipping_not_applied",
            "returns_before_update"} <= ids["train_step"]


def _raises(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("name,candidate", [(n, _raises) for n in BANK] + [(n, ...) for n in QUESTIONS])
def test_not_implemented_fails_cleanly(name, candidate):
    """A student who has not started yet gets a short reason, id not_implemented."""
    for hidden in (False, True):
        result = grader.check(xid(name), candidate, hidden=hidden)
        assert not result.passed
        assert result.mistake == "not_implemented"
        assert "NotImplementedError" in result.feedback
        assert len(result.feedback.splitlines()) <= 3


def test_an_unknown_wrong_value_gets_a_general_hint():
    """A wrong log-probability that matches no catalogued mistake but is positive is
    told that log-probabilities are at most 0."""
    def doubled_logits(logits, targets, ignore_index=-100):
        return 2 * slp_gather_where(logits, targets, ignore_index).abs() + 1

    result = grader.check(xid("sequence_log_prob"), doubled_logits)
    assert not result.passed and result.mistake is None
    assert "at most 0" in result.feedback


def test_train_step_feedback_names_what_it_checked():
    """train_step's feedback names the step and parameter that differ, and a missing
    return value is told as such."""
    result = grader.check(xid("train_step"), catalogue.ts_no_zero_grad.fn)
    assert "after step 2" in result.feedback, result.feedback

    def no_return(model, batch, loss_fn, optimizer, max_grad_norm):
        ts_canonical(model, batch, loss_fn, optimizer, max_grad_norm)

    result = grader.check(xid("train_step"), no_return)
    assert not result.passed and "returned NoneType" in result.feedback


def test_train_step_harness_records_plain_tensors():
    """The recorded outputs are plain tensors and strings (evidence-safe), and the
    gradients left after the first step tell clip-after-step from never clipping."""
    ex = get(xid("train_step"))
    case = engine.cases_for(ex, hidden=False, seed=None)[0]
    ref = ex.harness.run(catalogue.train_step, case, torch.float64)
    late = ex.harness.run(catalogue.ts_clip_after_step.fn, case, torch.float64)
    never = ex.harness.run(catalogue.ts_no_clip.fn, case, torch.float64)
    assert all(type(v) is torch.Tensor or isinstance(v, str) for v in ref.values())
    left = [k for k in ref if k.startswith(LEFT_PREFIX)]
    assert left and all(torch.allclose(ref[k], late[k]) for k in left)
    assert not all(torch.allclose(late[k], never[k]) for k in left)


def test_train_step_cases_clip_where_they_should():
    """In the first two cases the gradient norm exceeds max_grad_norm (so clipping shows;
    in the first also a fixed max norm of 1.0); in the third it stays below (so clipping
    must leave it alone)."""
    ex = get(xid("train_step"))
    for hidden in (False, True):
        for i, case in enumerate(engine.cases_for(ex, hidden=hidden, seed=5)):
            d_in, d_hidden, d_out = case.args["sizes"]
            model = TinyNet(d_in, d_hidden, d_out).double()
            model.load_state_dict({k[6:]: v for k, v in case.inputs.items() if k.startswith("param:")})
            x, y = case.inputs["x1"], case.inputs["y1"]
            loss = F.mse_loss(model(x), y) if case.args["loss"] == "mse" else F.cross_entropy(model(x), y)
            loss.backward()
            norm = float(torch.sqrt(sum(p.grad.pow(2).sum() for p in model.parameters())))
            if i < 2:
                assert norm > 1.5 * case.args["max_grad_norm"], (case.name, norm)
                if i == 0:
                    assert norm > 1.5, (case.name, norm)  # a fixed max norm of 1.0 shows too
            else:
                assert norm < case.args["max_grad_norm"], (case.name, norm)


def test_loss_cases_hold_what_the_mistakes_need():
    """Ragged rows with ignored positions inside and at the end, T != V, and a pad id /
    ignore_index other than the default next to real tokens with id 0."""
    for hidden in (False, True):
        cases = engine.cases_for(get(xid("sequence_log_prob")), hidden=hidden, seed=2)
        b, t, v = cases[0].inputs["logits"].shape
        assert t != v and b > 2
        targets = cases[1].inputs["targets"]
        assert (targets == -100).any() and (targets[:, -1] != -100).any()
        assert cases[2].args["ignore_index"] != -100
        clm = engine.cases_for(get(xid("causal_lm_loss")), hidden=hidden, seed=2)
        ids, pad_id = clm[2].inputs["input_ids"], clm[2].args["pad_id"]
        assert pad_id != 0 and (ids == 0).any() and (ids == pad_id).any()
        lengths = (clm[1].inputs["input_ids"] != 0).sum(1)
        assert len(set(lengths.tolist())) > 1


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
                    if type(exp) is not torch.Tensor or not exp.is_floating_point() \
                            or key.startswith(LEFT_PREFIX):
                        continue
                    err = (got[key].double() - exp).abs()
                    kind = "gradients" if key.startswith(GRAD_PREFIX) else "values"
                    worst[kind] = max(worst[kind], float(err.max()))
                    frac = err / (tol.atol + tol.rtol * exp.abs())
                    worst["fraction_of_tolerance"] = max(worst["fraction_of_tolerance"], float(frac.max()))
    return worst


@pytest.mark.parametrize("name", list(BANK))
def test_tolerance_keeps_its_margin(name):
    """The bank stays well inside the tolerance (about a tenth of it, measured over
    200 seeds by running this file as a script; a few seeds here)."""
    worst = measure_errors(name, BANK[name], seeds=range(3))
    assert worst["fraction_of_tolerance"] < 0.3, worst


# =========================================================================== fixtures and evidence


def test_visible_and_hidden_flow_through_fixtures_and_evidence(tmp_path, monkeypatch):
    """The notebook path: visible checks against fixtures in the kernel, hidden evidence
    saved as plain tensors and judged by grader.verify in the trusted process."""
    fixtures = tmp_path / "fixtures.pt"
    torch.save(build_fixtures(LESSON), fixtures)
    monkeypatch.setattr(notebook, "fixtures_path", lambda: fixtures)
    monkeypatch.chdir(tmp_path)
    notebook.check("train_step", ts_zero_grad_at_end)
    with pytest.raises(notebook.CheckFailed, match="clip the gradients BEFORE"):
        notebook.check("train_step", catalogue.ts_clip_after_step.fn)
    for name, candidate, mistake_id in (
            ("train_step", ts_manual_clip, None),
            ("train_step", catalogue.ts_no_zero_grad.fn, "no_zero_grad"),
            ("causal_lm_loss", catalogue.clm_no_shift.fn, "no_shift"),
            ("dataset_nll", nll_builtin_reductions, None)):
        notebook.record(name, candidate)
        result = grader.verify(xid(name), evidence.read_evidence(tmp_path, name),
                               evidence.read_seed(tmp_path))
        assert result.passed == (mistake_id is None), result.feedback
        assert result.mistake == mistake_id


# =========================================================================== notebook


def _cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def _solution_namespace():
    """The notebook's solution cells run in order, without labkit."""
    ns: dict[str, object] = {"torch": torch, "nn": nn, "F": F, "math": math}
    for cell in _cells():
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "code" and grade_id.startswith(("ex_", "answer_")):
            exec(compile(cell.source, grade_id, "exec"), ns)  # noqa: S102 - our own notebook
    return ns


MISTAKE_FILES = sorted((SOLUTION / "mistakes").glob("*__*.py"))


def test_there_are_sample_mistakes():
    """At least four sample solution cells with a known mistake, across three exercises."""
    assert len(MISTAKE_FILES) >= 4
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


def test_notebook_solutions_pass():
    """The source notebook's own solutions (and answers) pass every check."""
    ns = _solution_namespace()
    for name in (*BANK, *QUESTIONS):
        for hidden in (False, True):
            result = grader.check(xid(name), ns[name], hidden=hidden, seed=1)
            assert result.passed, result.feedback


def test_source_notebook_follows_the_conventions():
    """Each exercise has a solution cell and a locked, graded check cell with the exact
    source and the entry's points; grade ids are unique; no outputs; no project imports;
    reference.objectives and reference.training never ship as blocks."""
    cells = _cells()
    ids = [c.metadata["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids))
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in cells if "nbgrader" in c.metadata}
    for name, entry in _entries().items():
        check = by_id[f"check_{name}"]
        meta = check.metadata["nbgrader"]
        assert meta["grade"] and meta["locked"] and meta["points"] == entry.points
        assert check.source == (f'### BEGIN HIDDEN TESTS\nlabkit.record("{name}", {name})\n'
                                f'### END HIDDEN TESTS\nlabkit.check("{name}", {name})')
        solution = by_id.get(f"ex_{name}") or by_id[f"answer_{name}"]
        assert solution.metadata["nbgrader"]["solution"]
        assert "### BEGIN SOLUTION" in solution.source
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    assert "import labkit" in code
    assert not re.search(r"^\s*(from|import)\s+(reference|grader)\b", code, re.M)
    assert not re.search(r"\bblocks\.(objectives|training)\b", code)
    for c in cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
        if c.cell_type == "markdown":
            assert c.metadata["nbgrader"]["locked"]
    from grader.course.lessons import lesson_blocks

    assert not {"objectives", "training"} & set(lesson_blocks(LESSON))


def test_blocks_ship_without_this_lessons_solutions(tmp_path):
    """The listed blocks copy cleanly (every reference import listed) and hold neither
    reference.objectives nor train_step."""
    from grader.course.blocks import copy_blocks
    from grader.course.lessons import lesson_blocks

    dest = copy_blocks(lesson_blocks(LESSON), tmp_path / "blocks", withheld=("objectives", "training"))
    shipped = {p.relative_to(dest).as_posix() for p in dest.rglob("*.py")}
    assert "objectives.py" not in shipped and "training.py" not in shipped
    assert not any("def train_step" in p.read_text() for p in dest.rglob("*.py"))


if __name__ == "__main__":
    # python -m tests.grader.test_objective [seeds] [exercise ...]
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    torch.set_num_threads(1)
    for exercise in sys.argv[2:] or BANK:
        print(exercise, get(xid(exercise)).harness.tolerance, measure_errors(exercise, BANK[exercise], range(n)))
