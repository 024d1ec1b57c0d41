"""Lesson 10 as a whole: case names stay unique; the tolerances keep their margin; the
stand-in encoder has the provided Encoder's layout; the notebook's first cell runs without
the project; the banks (``BANKS``) and the candidates of the notebook path (``FLOW``). What
every lesson satisfies is tested once in ``test_lessons.py``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

import grader.checks.engine as engine
from grader.checks.catalogue.bert_complete import best_span as span_catalogue
from grader.checks.registry import get
from grader.labkit.exercises.bert_complete._toys import ToyEncoder
from reference.bert import last_four_layers
from reference.layers import Encoder

from ._bank import (
    BANK,
    FLOAT_EXERCISES,
    LESSON,
    feats_window,
    measure_errors,
    nsp_tensors,
    pair_counts,
    span_loops,
    xid,
)

ROOT = Path(__file__).resolve().parents[5]
NOTEBOOK = ROOT / "solutions" / LESSON / f"{LESSON}.ipynb"


def test_case_names_are_unique():
    """Case names key the evidence, so no two cases of an exercise share one, whatever
    sizes a seed draws."""
    for name in BANK:
        ex = get(xid(name))
        for seed in range(30):
            names = [c.name for c in engine.cases_for(ex, hidden=True, seed=seed)]
            assert len(names) == len(set(names)), (name, seed, names)


@pytest.mark.parametrize("name", FLOAT_EXERCISES)
def test_tolerance_keeps_its_margin(name):
    """The bank stays well inside the tolerance (about a tenth of it, measured over 100
    seeds by running _bank.py as a script; two seeds here)."""
    worst = measure_errors(name, BANK[name][:2], seeds=range(2))
    assert worst["fraction_of_tolerance"] < 0.3, worst


def test_toy_encoder_has_the_encoder_layout():
    """The stand-in has what the exercise uses of the provided Encoder: ``layers`` called as
    ``layer(x, mask)`` in turn, no final norm; the reference gives the same on both."""
    toy, real = ToyEncoder(5, 4), Encoder(5, 4, 2, 8, dropout=0.0)
    assert type(toy.layers) is type(real.layers) and toy.norm is None and real.norm is None
    x, mask = torch.randn(2, 3, 4), torch.ones(2, 1, 1, 3, dtype=torch.bool)
    for enc in (toy, real.eval()):
        torch.testing.assert_close(last_four_layers(enc, x, mask)[..., -4:], enc(x, mask))


def test_best_span_cases_separate_every_shortcut():
    """On each visible case, every catalogued shortcut picks another span than the reference
    in some row: each is told apart by the case alone."""
    ex = get(xid("best_span"))
    for case in engine.cases_for(ex, hidden=False, seed=None):
        args = (case.inputs["start_logits"], case.inputs["end_logits"], case.inputs["context_mask"],
                case.args["max_answer_len"])
        right = ex.entry.reference(*args)
        for m in span_catalogue.MISTAKES:
            got = m.fn(*args)
            assert any(not torch.equal(g, r) for g, r in zip(got, right, strict=True)), m.id


def _cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def test_notebook_never_names_the_solution_package():
    """No cell points at the lesson's reference package (it never ships as a block)."""
    assert "blocks.bert" not in "".join(c.source for c in _cells())


BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('reference', 'grader'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
"""


def test_notebook_imports_work_without_the_project(tmp_path):
    """The first code cell runs in a lesson folder (labkit, blocks) where neither reference
    nor grader can be imported, as in a student's kernel."""
    from grader.course.blocks import copy_blocks
    from grader.course.lessons import lesson_blocks

    copy_blocks(lesson_blocks(LESSON), tmp_path / "blocks")
    shutil.copytree(ROOT / "grader" / "labkit", tmp_path / "labkit")
    first = next(c for c in _cells() if c.cell_type == "code").source
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", BLOCKER + "\n" + first], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


#: The banks of correct alternatives (and right answers) of test_lessons.py, by exercise.
BANKS = BANK

#: The notebook path of test_lessons.py: visible checks that pass, a visible check that fails
#: with its hint, and hidden evidence judged by the trusted grader (None: it passes).
FLOW = {
    "checks": [("pair_inputs", pair_counts), ("best_span", span_loops), ("make_nsp_pairs", nsp_tensors)],
    "fails": [("best_span", span_catalogue.span_argmax.fn, "Score every valid pair")],
    "records": [("make_nsp_pairs", nsp_tensors, None), ("last_four_layers", feats_window, None),
                ("best_span", span_catalogue.span_no_limit.fn, "no_length_limit")],
}


def test_checkpoint_is_lesson_08s():
    """pretrained_mlm.pt, read by the feature demonstration, is lesson 08's checkpoint (made by
    that lesson's notebook) byte for byte, and small."""
    ours = ROOT / "solutions" / LESSON / "pretrained_mlm.pt"
    theirs = ROOT / "solutions" / "08_finetuning" / "pretrained_mlm.pt"
    assert ours.stat().st_size < 400_000
    assert ours.read_bytes() == theirs.read_bytes()
