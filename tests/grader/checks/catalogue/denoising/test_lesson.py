"""Lesson 06 (denoising autoencoding) as a whole: its exercises, the short answers, the
mistakes the course names, what the statistical cases hold and what their feedback says,
the notebook path through fixtures and evidence, the source notebook and its sample
mistakes, and the blocks it ships.

The corruptions are randomised: their banks (one test file per exercise) draw in other
ways (per-token Bernoulli draws against exact counts, ceil / round / floor, argsort of
uniforms, multinomial, Knuth's Poisson sampler, spans placed by compositions,
Fisher-Yates, torch.roll, fairseq's rotation that never keeps the start), so they only
pass if the harness judges the properties of the outputs and not the reference's draws.
"""

from __future__ import annotations

import ast
import io
import json
import math
import re

import pytest
import torch
import torch.nn.functional as F

import grader
from grader.checks.catalogue.denoising.document_rotation import dr_off_by_one
from grader.checks.catalogue.denoising.seq2seq_loss import loss_mean_per_sequence
from grader.checks.catalogue.denoising.span_corruption import sc_no_final
from grader.checks.catalogue.denoising.text_infilling import ti_mask_per_token, ti_no_zero
from grader.checks.catalogue.denoising.token_masking import tm_count_whole
from grader.checks.engine import cases_for
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import get
from grader.labkit import evidence, notebook
from grader.labkit.exercises.denoising._common import _unpack_rows, split_boundary

from ._common import LESSON, MISTAKE_FILES, NOTEBOOK, entries, exercise_id
from .test_shift_right import shift_cat
from .test_span_corruption import span_t5_interleaved
from .test_text_infilling import infilling_walk

CORRECT_ANSWERS = {"per_token_loss": ["b", " B "], "infilling_hides": ["c", "C"],
                   "t5_target_sentinels": [3]}


def test_lesson_lists_its_exercises():
    """The lesson's eleven exercises are registered, each with a harness and a catalogue entry."""
    assert set(grader.list_exercises(LESSON)) == {exercise_id(n) for n in (
        "token_masking", "token_deletion", "text_infilling", "sentence_permutation",
        "document_rotation", "span_corruption", "shift_right", "seq2seq_loss",
        "per_token_loss", "infilling_hides", "t5_target_sentinels")}


@pytest.mark.parametrize("name,answer", [(n, a) for n, answers in CORRECT_ANSWERS.items() for a in answers])
def test_correct_answers_pass(name, answer):
    """Right answers pass whichever way they are written ('b' or ' B ')."""
    for hidden in (False, True):
        assert grader.check(exercise_id(name), answer, hidden=hidden).passed


def test_catalogue_covers_the_mistakes_the_course_names():
    """The mistakes the course lists for this lesson are all catalogued."""
    ids = {name: {m.id for m in e.mistakes} for name, e in entries().items()}
    assert "corrupts_boundary_tokens" in ids["token_masking"]
    assert {"count_includes_boundary", "ratio_per_document"} <= ids["token_deletion"]
    assert {"one_mask_per_token", "fixed_span_length", "no_zero_length_spans"} <= ids["text_infilling"]
    assert "shuffles_tokens" in ids["sentence_permutation"]
    assert "reverses_instead_of_rotating" in ids["document_rotation"]
    assert {"reuses_one_sentinel", "missing_final_sentinel"} <= ids["span_corruption"]
    assert {"no_start_token", "keeps_ignore_index", "shifted_left"} <= ids["shift_right"]
    assert {"counts_ignored_positions", "mean_per_sequence", "sum_instead_of_mean",
            "mean_instead_of_sum"} <= ids["seq2seq_loss"]


def test_statistical_cases_have_the_power_they_claim():
    """The statistical cases are as large as their comments say: enough body tokens for the
    stated bounds, bodies of distinct ids, whole-number ratios, zero-length spans expected."""
    for hidden in (False, True):
        for name, ratio_key in (("token_masking", "mask_ratio"), ("token_deletion", "deletion_ratio")):
            case = {c.name: c for c in cases_for(get(exercise_id(name)), hidden=hidden, seed=4)}["statistics"]
            rows = _unpack_rows(case.inputs["tokens"], case.inputs["lengths"])
            bodies = [split_boundary(r.tolist())[1] for r in rows]
            ratio = case.args["params"][ratio_key]
            assert all(len(set(b)) == len(b) and (ratio * len(b)).is_integer() for b in bodies)
            assert sum(len(bodies[r]) for r, _ in case.args["calls"]) >= 3000
            assert sum(1 for r, _ in case.args["calls"] if not split_boundary(rows[r].tolist())[0]) >= 60
        case = cases_for(get(exercise_id("text_infilling")), hidden=hidden, seed=4)[1]
        rows = _unpack_rows(case.inputs["tokens"], case.inputs["lengths"])
        budget = sum(math.ceil(0.3 * len(split_boundary(r.tolist())[1])) for r in rows)
        assert budget / 3.0 * math.exp(-3.0) >= 15  # zero-length spans expected among ~budget/3


def test_feedback_states_measured_and_expected():
    """Statistical feedback names what was measured, the expected value with its bound, and the hint."""
    result = grader.check(exercise_id("token_masking"), tm_count_whole.fn)
    assert re.search(r"masked \d+ of \d+ body tokens = [\d.]+%; expected 40.0% \+/- [\d.]+%",
                     result.feedback), result.feedback
    result = grader.check(exercise_id("text_infilling"), ti_no_zero.fn)
    assert "no [MASK] of the" in result.feedback and "e^-3" in result.feedback
    result = grader.check(exercise_id("document_rotation"), dr_off_by_one.fn)
    assert "start positions came" in result.feedback


def test_hidden_feedback_shows_no_hidden_tokens():
    """A failing hidden case says what was wrong but prints none of its tokens."""
    result = grader.check(exercise_id("span_corruption"), sc_no_final.fn, hidden=True, seed=3)
    assert "hidden case" in result.feedback and "tokens [" not in result.feedback
    result = grader.check(exercise_id("span_corruption"), sc_no_final.fn)
    assert "tokens [" in result.feedback  # the visible case shows its tokens and outputs


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
        notebook.check("span_corruption", sc_no_final.fn)
    for name, candidate, mistake_id in (
            ("span_corruption", span_t5_interleaved, None),
            ("text_infilling", ti_mask_per_token.fn, "one_mask_per_token"),
            ("seq2seq_loss", loss_mean_per_sequence.fn, "mean_per_sequence")):
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
    for name, entry in entries().items():
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
    for name in entries():
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
