"""What every lesson must satisfy, written once and parametrised over the lessons
(``grader.course.lessons.available_lessons()``): its exercises are registered; the source
notebook follows the cell conventions and its solutions pass; each sample mistake cell of
``solutions/<lesson>/mistakes/`` is diagnosed as the mistake its file name says; the blocks
ship none of the lesson's solutions; the notebook path (fixtures in the kernel, hidden
evidence judged by ``grader.verify``) agrees with the trusted grader; the fixtures stay
small; hidden feedback shows no input values; shape answers never ship in clear.

What differs between lessons is data, kept below by lesson (or, where it names the
lesson's own candidates, in the lesson's test module as ``FLOW``). A new lesson without
its data fails here: it is never skipped. What only one lesson can know stays in its
own tests under ``catalogue/``; what holds for every exercise is in ``test_contract.py``.
"""

from __future__ import annotations

import ast
import importlib
import io
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
import pytest
import torch

import grader
import grader.checks.engine as engine
from grader.checks.fixtures import build_fixtures
from grader.checks.registry import get
from grader.course.blocks import closure, copy_blocks, module_path
from grader.course.build import notebook_block_imports
from grader.course.lessons import SOLUTION_MODULES, available_lessons, lesson_blocks
from grader.labkit import evidence, notebook
from grader.labkit.answers import AnswerHarness

from .catalogue.conftest import _cache_trusted_outputs  # noqa: F401 - autouse, for this module too

ROOT = Path(__file__).resolve().parents[3]
LESSONS = available_lessons()

#: The exercises each lesson registers (a harness and a catalogue entry each).
EXERCISES: dict[str, tuple[str, ...]] = {
    "01_rnn_seq2seq": ("RNNEncoder", "context_vector", "RNNDecoder", "teacher_forcing_batch",
                       "teacher_forced_loss", "context_shape", "decoder_inputs", "rnn_drawback"),
    "02_attention": ("padding_mask", "causal_mask", "scaled_dot_product_attention", "split_heads",
                     "merge_heads", "MultiHeadAttention", "attention_weights_shape",
                     "weights_memory_growth", "decoder_self_attention_mask"),
    "03_transformer_encoder": ("sinusoidal_positional_encoding", "TransformerEmbedding", "FeedForward",
                               "sublayer_connection", "EncoderLayer", "Encoder", "order_without_positions",
                               "skip_connections", "encoder_output_shape"),
    "04_transformer_decoder": ("decoder_self_mask", "DecoderLayer", "cross_attention_shape",
                               "next_token_probs", "teacher_forcing_passes", "greedy_decode",
                               "greedy_decoder_calls"),
    "05_masked_lm": ("mask_tokens", "mlm_loss", "MLMHead", "mask_fraction", "loss_positions", "why_keep"),
    "06_denoising": ("token_masking", "token_deletion", "text_infilling", "sentence_permutation",
                     "document_rotation", "span_corruption", "shift_right", "seq2seq_loss",
                     "per_token_loss", "infilling_hides", "t5_target_sentinels"),
    "07_objective": ("sequence_log_prob", "dataset_nll", "causal_lm_loss", "train_step",
                     "long_sequences", "objective_change", "parallel_training"),
    "08_finetuning": ("CLSClassifier", "masked_mean_pool", "load_pretrained_encoder", "freeze_layers",
                      "pooled_shape", "why_cls", "two_stages"),
    "09_generating_text": ("attend_with_cache", "top_k_filter", "top_p_filter", "sample_next_token",
                           "beam_search", "perplexity", "corpus_bleu", "uncached_token_passes",
                           "uniform_perplexity", "what_bleu_measures"),
    "10_bert_complete": ("pair_inputs", "make_nsp_pairs", "NSPHead", "pretraining_loss", "token_tagging_loss",
                         "qa_loss", "best_span", "last_four_layers", "max_input_tokens", "task_types",
                         "pair_scoring_cost", "concat_feature_size", "features_or_finetune",
                         "finetune_recipe", "little_data"),
    "11_beyond_bert": ("span_lengths", "span_masking", "whole_word_masking", "discriminator_inputs",
                       "electra_loss", "electra_every_position", "prefix_lm_mask", "prefix_lm_loss",
                       "prefix_sees", "distillation_loss", "why_t_squared", "cheaper_bert"),
}

#: At least this many sample mistake cells, across at least this many exercises.
SAMPLE_MISTAKES: dict[str, tuple[int, int]] = {
    "01_rnn_seq2seq": (3, 3), "02_attention": (4, 4), "03_transformer_encoder": (3, 3),
    "04_transformer_decoder": (3, 3), "05_masked_lm": (4, 2), "06_denoising": (3, 3),
    "07_objective": (4, 3), "08_finetuning": (3, 3),
    "09_generating_text": (4, 4),
    "10_bert_complete": (4, 4),
    "11_beyond_bert": (4, 4),
}

#: Upper bound of the size of the lesson's fixtures.pt (the reference and every mistake on the
#: visible cases). Lessons 05 and 06 pack recorded ids into small integer dtypes to stay in theirs.
FIXTURES_MAX_BYTES: dict[str, int] = {
    "01_rnn_seq2seq": 300_000, "02_attention": 1_000_000, "03_transformer_encoder": 1_000_000,
    "04_transformer_decoder": 1_000_000, "05_masked_lm": 1_000_000, "06_denoising": 2_000_000,
    "07_objective": 1_000_000, "08_finetuning": 1_000_000,
    "09_generating_text": 1_000_000,
    "10_bert_complete": 1_000_000,
    "11_beyond_bert": 1_500_000,  # ids packed small; the statistics cases hold thousands of draws
}

#: Cells besides the setup cell whose definitions a solution cell uses (by cell id).
HELPER_CELLS: dict[str, tuple[str, ...]] = {"06_denoising": ("helpers",)}

#: Exercises whose hidden failures are scanned for the float inputs of their hidden cases.
HIDDEN_INPUTS_CHECKED: dict[str, tuple[str, ...]] = {
    "02_attention": ("padding_mask", "causal_mask", "scaled_dot_product_attention", "split_heads",
                     "merge_heads", "MultiHeadAttention"),
    "03_transformer_encoder": ("sinusoidal_positional_encoding", "TransformerEmbedding", "FeedForward",
                               "sublayer_connection", "EncoderLayer", "Encoder"),
    "08_finetuning": ("masked_mean_pool", "load_pretrained_encoder"),
    "09_generating_text": ("attend_with_cache", "perplexity"),
    "10_bert_complete": ("NSPHead", "pretraining_loss", "token_tagging_loss", "qa_loss", "best_span",
                         "last_four_layers"),
    "11_beyond_bert": ("electra_loss", "prefix_lm_loss", "distillation_loss", "discriminator_inputs"),
}
#: Lessons whose hidden feedback is scanned for the values of the case's parameters too (the
#: stand-in models of lesson 08; elsewhere a parameter's value may coincide with an output's).
PARAMETERS_SCANNED = {"08_finetuning"}
HIDDEN_SEED = 3


def xid(lesson: str, name: str) -> str:
    """The exercise id of ``name`` in ``lesson``."""
    return f"{lesson}/{name}"


def names_of(lesson: str) -> list[str]:
    """The lesson's exercise names, in course order."""
    return [i.split("/", 1)[1] for i in grader.list_exercises(lesson)]


def lesson_tests(lesson: str) -> ModuleType:
    """The lesson's own test module: ``catalogue/<folder>/test_lesson.py``, or
    ``catalogue/test_<folder>.py`` for a lesson tested in one file."""
    folder = lesson.split("_", 1)[1]
    package = f"{__package__}.catalogue"
    if (Path(__file__).parent / "catalogue" / folder / "test_lesson.py").is_file():
        return importlib.import_module(f"{package}.{folder}.test_lesson")
    return importlib.import_module(f"{package}.test_{folder}")


def mistake_files(lesson: str) -> list[Path]:
    """The lesson's sample mistake cells, ``<exercise>__<mistake_id>.py``."""
    return sorted((ROOT / "solutions" / lesson / "mistakes").glob("*.py"))


def _cells(lesson: str) -> list[Any]:
    return nbformat.read(ROOT / "solutions" / lesson / f"{lesson}.ipynb", as_version=4).cells


def _grade_id(cell: Any) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def _definitions(source: str) -> ast.Module:
    """The imports (``blocks.x`` read from ``reference.x``, labkit left out), definitions and
    plain assignments (no call, no attribute) of a setup or helper cell: what a solution
    cell may use, without the cell's demos, data loading or prints."""
    keep: list[ast.stmt] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("blocks."):
            node.module = "reference." + node.module.removeprefix("blocks.")
            keep.append(node)
        elif isinstance(node, ast.Import):
            node.names = [a for a in node.names if a.name != "labkit"]
            keep += [node] if node.names else []
        elif isinstance(node, (ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
            keep.append(node)
        elif isinstance(node, ast.Assign) and not any(
                isinstance(n, (ast.Call, ast.Attribute)) for n in ast.walk(node.value)):
            keep.append(node)
    return ast.Module(keep, [])


def solution_namespace(lesson: str) -> dict[str, Any]:
    """The notebook's solution cells run in order, without labkit, after what the setup
    cell (and the lesson's helper cells) define; the blocks are taken from the reference."""
    cells = _cells(lesson)
    ns: dict[str, Any] = {}
    setup = next(c for c in cells if c.cell_type == "code")
    helpers = [c for c in cells if c.get("id") in HELPER_CELLS.get(lesson, ())]
    for cell in [setup, *helpers]:
        exec(compile(_definitions(cell.source), f"<{lesson} setup>", "exec"), ns)  # noqa: S102
    for cell in cells:
        if cell.cell_type == "code" and _grade_id(cell).startswith(("ex_", "answer_")):
            exec(compile(cell.source, _grade_id(cell), "exec"), ns)  # noqa: S102 - our own notebook
    return ns


# =========================================================================== exercises


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_lists_its_exercises(lesson):
    """The lesson registers exactly its exercises, each with a harness and a catalogue entry."""
    assert set(grader.list_exercises(lesson)) == {xid(lesson, n) for n in EXERCISES[lesson]}


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_exercise_has_a_bank(lesson):
    """The lesson's tests hold a bank of correct alternatives (right answers, for a
    question) for every exercise of the lesson, so none is tested on its reference alone;
    the lesson's own tests run each bank, visible and hidden."""
    banks = lesson_tests(lesson).BANKS
    assert sorted(banks) == sorted(names_of(lesson))
    assert all(len(bank) >= 1 for bank in banks.values()), banks


def test_every_lesson_has_its_data():
    """Every lesson with a source notebook has its data here, and no data names a lesson
    that is gone."""
    for table in (EXERCISES, SAMPLE_MISTAKES, FIXTURES_MAX_BYTES):
        assert sorted(table) == LESSONS
    assert set(HIDDEN_INPUTS_CHECKED) | set(HELPER_CELLS) | PARAMETERS_SCANNED <= set(LESSONS)


# =========================================================================== the source notebook


def _check_exercise_cells(lesson: str, by_id: dict[str, Any], name: str) -> None:
    check = by_id[f"check_{name}"]
    meta = check.metadata["nbgrader"]
    assert meta["grade"] and meta["locked"] and not meta["solution"], name
    assert meta["points"] == get(xid(lesson, name)).entry.points, name
    assert check.source == (f'### BEGIN HIDDEN TESTS\nlabkit.record("{name}", {name})\n'
                            f'### END HIDDEN TESTS\nlabkit.check("{name}", {name})')
    solution = by_id.get(f"ex_{name}") or by_id[f"answer_{name}"]
    assert solution.metadata["nbgrader"]["solution"] and not solution.metadata["nbgrader"]["grade"]
    assert "### BEGIN SOLUTION" in solution.source and "### END SOLUTION" in solution.source
    first = solution.source.splitlines()[0]
    assert first.startswith(("def ", "class ", f"{name} = ...")), first


@pytest.mark.parametrize("lesson", LESSONS)
def test_source_notebook_follows_the_conventions(lesson):
    """Each exercise has a solution cell (its def/class line outside the solution region)
    and a locked, graded check cell with the exact source and the entry's points, and no
    other cell is graded; grade ids are unique; the first code cell imports labkit; no
    outputs; no import of reference or grader; markdown is locked."""
    cells = _cells(lesson)
    ids = [_grade_id(c) for c in cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids))
    by_id = {_grade_id(c): c for c in cells if "nbgrader" in c.metadata}
    for name in names_of(lesson):
        _check_exercise_cells(lesson, by_id, name)
    graded = {_grade_id(c) for c in cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert graded == {f"check_{n}" for n in names_of(lesson)}
    assert "import labkit" in next(c for c in cells if c.cell_type == "code").source
    for c in cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
            assert not re.search(r"^\s*(from|import)\s+(reference|grader)\b", c.source, re.M)
        else:
            assert c.metadata["nbgrader"]["locked"] and _grade_id(c).startswith("md_")


@pytest.mark.parametrize("lesson", LESSONS)
def test_notebook_solutions_pass(lesson):
    """The source notebook's own solution cells (and answers) pass every check, visible and hidden."""
    ns = solution_namespace(lesson)
    for name in names_of(lesson):
        for hidden in (False, True):
            result = grader.check(xid(lesson, name), ns[name], hidden=hidden, seed=1)
            assert result.passed, (name, hidden, result.feedback)


# =========================================================================== sample mistakes


@pytest.mark.parametrize("lesson", LESSONS)
def test_there_are_sample_mistakes(lesson):
    """The lesson has sample mistake cells, for several exercises, each named
    ``<exercise>__<mistake_id>.py`` after an exercise of the lesson."""
    files, exercises = SAMPLE_MISTAKES[lesson]
    names = [p.stem.split("__")[0] for p in mistake_files(lesson)]
    assert all(p.stem.count("__") == 1 for p in mistake_files(lesson))
    assert set(names) <= set(names_of(lesson))
    assert len(names) >= files and len(set(names)) >= exercises


@pytest.mark.parametrize("lesson, path", [pytest.param(lesson, path, id=f"{lesson}-{path.stem}")
                                          for lesson in LESSONS for path in mistake_files(lesson)])
def test_sample_mistake_is_diagnosed(lesson, path):
    """Each sample solution cell, run with the notebook's other solutions, fails and is
    diagnosed as the catalogued mistake its file name says, visible and hidden."""
    name, mistake_id = path.stem.split("__")
    assert mistake_id in {m.id for m in get(xid(lesson, name)).entry.mistakes}
    ns = solution_namespace(lesson)
    exec(compile(path.read_text(), str(path), "exec"), ns)  # noqa: S102 - our own sample
    for hidden in (False, True):
        result = grader.check(xid(lesson, name), ns[name], hidden=hidden, seed=7)
        assert not result.passed
        assert result.mistake == mistake_id, result.feedback


@pytest.mark.parametrize("lesson", LESSONS)
def test_mistake_files_are_the_notebook_cells_with_one_change(lesson):
    """A sample mistake keeps every line of its solution cell outside the solution region
    (def or class line, docstrings, a given __init__), as the demo pastes it into the cell."""
    by_id = {_grade_id(c): c.source for c in _cells(lesson) if "nbgrader" in c.metadata}
    for path in mistake_files(lesson):
        name = path.stem.split("__")[0]
        source = by_id.get(f"ex_{name}") or by_id[f"answer_{name}"]
        given = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", source, flags=re.S)
        text = path.read_text()
        for line in given.splitlines():
            assert line.rstrip() in text, (path.name, line)


# =========================================================================== blocks


@pytest.mark.parametrize("lesson", LESSONS)
def test_blocks_ship_no_solution_of_this_lesson(lesson, tmp_path):
    """blocks.txt names reference modules (``reference.<module>``, one a line) that copy
    cleanly with the lesson's solution modules withheld; the notebook imports only listed
    blocks; no shipped file defines one of the lesson's exercises."""
    listing = ROOT / "solutions" / lesson / "blocks.txt"
    listed = [ln.split("#", 1)[0].strip() for ln in listing.read_text().splitlines()] if listing.is_file() else []
    assert all(m.startswith("reference.") for m in filter(None, listed))
    blocks = lesson_blocks(lesson)
    assert notebook_block_imports(ROOT / "solutions" / lesson / f"{lesson}.ipynb") <= {
        b.split(".")[0] for b in blocks}
    withheld = SOLUTION_MODULES[lesson]
    assert not [m for m in closure(blocks) for w in withheld if m == w or m.startswith(w + ".")]
    dest = copy_blocks(blocks, tmp_path / "blocks", withheld=withheld)
    defined = re.compile(rf"^\s*(def|class) ({'|'.join(names_of(lesson))})\b", re.M)
    for file in dest.rglob("*.py"):
        assert not defined.search(file.read_text()), (file, defined.search(file.read_text()))
    for module in withheld:
        shipped = dest / module_path(module).relative_to(module_path(module.split(".")[0]).parent)
        assert not shipped.exists(), module


# =========================================================================== notebook path


@pytest.mark.parametrize("lesson", LESSONS)
def test_visible_and_hidden_flow_through_fixtures_and_evidence(lesson, tmp_path, monkeypatch):
    """The notebook path: visible checks against the fixtures in the kernel (passing, and
    failing with the hint), hidden evidence saved as plain tensors and judged by
    grader.verify in the trusted process. The candidates are the lesson's ``FLOW``."""
    flow = lesson_tests(lesson).FLOW
    fixtures = tmp_path / "fixtures.pt"
    torch.save(build_fixtures(lesson), fixtures)
    monkeypatch.setattr(notebook, "fixtures_path", lambda: fixtures)
    monkeypatch.chdir(tmp_path)
    for name, candidate in flow["checks"]:
        notebook.check(name, candidate)
    for name, candidate, match in flow["fails"]:
        with pytest.raises(notebook.CheckFailed, match=match):
            notebook.check(name, candidate)
    assert any(m is None for *_, m in flow["records"]) and any(m for *_, m in flow["records"])
    for name, candidate, mistake_id in flow["records"]:
        notebook.record(name, candidate, lesson)
        result = grader.verify(xid(lesson, name), evidence.read_evidence(tmp_path, name),
                               evidence.read_seed(tmp_path))
        assert result.passed == (mistake_id is None), result.feedback
        assert result.mistake == mistake_id


@pytest.mark.parametrize("lesson", LESSONS)
def test_fixtures_stay_small(lesson):
    """The lesson's fixtures (visible cases, the reference's and every mistake's outputs)
    stay under the lesson's bound."""
    buffer = io.BytesIO()
    torch.save(build_fixtures(lesson), buffer)
    assert buffer.tell() < FIXTURES_MAX_BYTES[lesson]


# =========================================================================== what feedback shows


def _input_values(ex: Any, seed: int, parameters: bool) -> set[str]:
    shown = set()
    for case in engine.cases_for(ex, hidden=True, seed=seed):
        for key, t in case.inputs.items():
            if t.is_floating_point() and (parameters or not key.startswith("param:")):
                shown.update(f"{v:.4g}" for v in t.reshape(-1)[:8].tolist())
    return shown


@pytest.mark.parametrize("lesson, name", [(lesson, name) for lesson, names in HIDDEN_INPUTS_CHECKED.items()
                                          for name in names])
def test_hidden_feedback_shows_no_input_values(lesson, name):
    """Hidden feedback names the case by its shapes only: whichever catalogued mistake
    fails, no float input value is printed (nor a parameter value, in the lessons of
    PARAMETERS_SCANNED)."""
    ex = get(xid(lesson, name))
    values = _input_values(ex, HIDDEN_SEED, parameters=lesson in PARAMETERS_SCANNED)
    for m in ex.entry.mistakes:
        result = grader.check(ex.id, m.fn, hidden=True, seed=HIDDEN_SEED)
        leaked = [v for v in values if re.search(rf"(?<![\d.]){re.escape(v)}(?!\d)", result.feedback)]
        assert not leaked, (m.id, leaked, result.feedback)
        assert "a hidden case" in result.feedback


SHAPE_QUESTIONS = [(lesson, name) for lesson in LESSONS for name in names_of(lesson)
                   if isinstance(get(xid(lesson, name)).harness, AnswerHarness)
                   and isinstance(get(xid(lesson, name)).entry.reference, tuple)]


@pytest.mark.parametrize("lesson, name", SHAPE_QUESTIONS)
def test_shape_answers_are_not_shipped_in_clear(lesson, name):
    """The visible fixtures hold digests of a shape question's answer, never the shape in
    clear, nor its last two sizes (outside a catalogued wrong shape that a hint names)."""
    entry = get(xid(lesson, name)).entry
    answer = entry.reference
    shipped = repr(build_fixtures(lesson)["exercises"][name])
    assert ", ".join(map(str, answer)) not in shipped and str(list(answer)) not in shipped
    for wrong in (m.fn for m in entry.mistakes if isinstance(m.fn, tuple)):
        shipped = shipped.replace(", ".join(map(str, wrong)), "<a wrong shape>")
    assert ", ".join(map(str, answer[-2:])) not in shipped


def test_several_lessons_ask_for_a_shape():
    """The shape questions above are not an empty set: at least four lessons ask one."""
    assert len({lesson for lesson, _ in SHAPE_QUESTIONS}) >= 4
