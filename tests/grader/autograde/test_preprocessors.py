"""The course's nbgrader preprocessors, on small in-memory notebooks (no kernel)."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.preprocessors import DeduplicateIds, Execute, OverwriteCells, SaveAutoGrades
from nbgrader.utils import determine_grade
from traitlets.config.loader import PyFileConfigLoader
from traitlets.utils.importstring import import_item

from grader.autograde.preprocessors import (
    DropStrayMetadata,
    FaultNotice,
    HiddenVerdicts,
    LabPreprocessor,
    PrepareEvidence,
    RequirePrivateCopy,
    RescueStderr,
    RestoreCellFlags,
    SafeExecute,
    SkipDisplayCells,
    StripHiddenTests,
)
from grader.autograde.sandbox import Sandbox
from grader.checks.registry import get
from grader.course.directory import student_seed
from grader.course.paths import LAB_CONFIG_TEMPLATE, SECRET_FILE, VERDICTS_DIR
from grader.labkit.evidence import EVIDENCE_DIR, SEED_FILE, write_evidence
from grader.labkit.exercises import harness
from grader.labkit.notebook import evidence_cases

LESSON = "02_attention"
NAME = "scaled_dot_product_attention"
EXERCISE = f"{LESSON}/{NAME}"
SECRET = "0123456789abcdef" * 4
STUDENT = "alice"


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    nbg = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
           "solution": solution}
    if points is not None:
        nbg["points"] = points
    return {"nbgrader": nbg}


def check_cell(name=NAME, points=3.0, outputs=()):
    src = (f'### BEGIN HIDDEN TESTS\nlabkit.record("{name}", {name})\n### END HIDDEN TESTS\n'
           f'labkit.check("{name}", {name})')
    cell = new_code_cell(src, metadata=_meta(f"check_{name}", grade=True, locked=True,
                                             points=points))
    cell.outputs = list(outputs)
    return cell


@pytest.fixture
def course(tmp_path, monkeypatch):
    # nbgrader runs its environment's `alembic` to create a gradebook.
    monkeypatch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable),
                                                os.environ.get("PATH", "")]))
    root = tmp_path / "course"
    folder = root / "autograded" / STUDENT / LESSON
    folder.mkdir(parents=True)
    (root / SECRET_FILE).write_text(SECRET + "\n")
    return root, folder


def resources(folder: Path) -> dict:
    return {"nbgrader": {"student": STUDENT, "assignment": LESSON, "notebook": LESSON,
                         "db_url": "sqlite://"},
            "metadata": {"path": str(folder)}}


def record(folder: Path, candidate, seed: int, name: str = NAME) -> None:
    """What the hidden part of a test cell does in the kernel."""
    h = harness(f"{LESSON}/{name}")
    write_evidence(folder, name, {k: h.run(candidate, c) for k, c in evidence_cases(h, seed)})


def run(pp_class, nb, folder: Path, root: Path):
    pp = pp_class(course_root=str(root)) if issubclass(pp_class, LabPreprocessor) else pp_class()
    return pp.preprocess(nb, resources(folder))


def seed() -> int:
    return student_seed(SECRET, STUDENT, LESSON)


# --- PrepareEvidence -------------------------------------------------------------------

def test_prepare_evidence_writes_the_students_seed_and_removes_stale_evidence(course):
    root, folder = course
    (folder / EVIDENCE_DIR).mkdir()
    (folder / EVIDENCE_DIR / f"{NAME}.pt").write_bytes(b"forged")
    (folder / SEED_FILE).write_text('{"seed": 1}')
    (folder / SEED_FILE).chmod(0o444)
    run(PrepareEvidence, new_notebook(), folder, root)
    assert not (folder / EVIDENCE_DIR).exists()
    assert json.loads((folder / SEED_FILE).read_text()) == {"seed": seed()}


def test_prepare_evidence_replaces_a_symlinked_seed_file(course, tmp_path):
    root, folder = course
    target = tmp_path / "elsewhere.json"
    target.write_text("keep me")
    os.symlink(target, folder / SEED_FILE)
    os.symlink(tmp_path, folder / EVIDENCE_DIR)
    run(PrepareEvidence, new_notebook(), folder, root)
    assert target.read_text() == "keep me"
    assert not (folder / SEED_FILE).is_symlink() and not (folder / EVIDENCE_DIR).exists()


def test_seeds_differ_per_student_and_lesson_and_need_the_secret():
    a = student_seed(SECRET, "alice", LESSON)
    assert a == student_seed(SECRET, "alice", LESSON)
    assert len({a, student_seed(SECRET, "bob", LESSON), student_seed(SECRET, "alice", "05_masked_lm"),
                student_seed("f" * 64, "alice", LESSON)}) == 4


# --- RescueStderr ----------------------------------------------------------------------

def test_rescue_stderr_keeps_warnings_visible_and_points_intact(course):
    root, folder = course
    cell = check_cell(outputs=[new_output("stream", name="stderr", text="UserWarning: x\nmore\n"),
                               new_output("stream", name="stdout", text="ok\n")])
    assert determine_grade(cell)[0] == 0  # what stock nbgrader would give
    nb, _ = run(RescueStderr, new_notebook(cells=[cell]), folder, root)
    out = nb.cells[0].outputs
    assert [o.name for o in out] == ["stdout", "stdout"]
    assert out[0].text == "[stderr] UserWarning: x\n[stderr] more\n"
    assert determine_grade(nb.cells[0])[0] == 3


def test_rescue_stderr_leaves_errors_alone(course):
    root, folder = course
    cell = check_cell(outputs=[new_output("error", ename="ValueError", evalue="bad", traceback=[])])
    nb, _ = run(RescueStderr, new_notebook(cells=[cell]), folder, root)
    assert determine_grade(nb.cells[0])[0] == 0


# --- HiddenVerdicts --------------------------------------------------------------------

def verdict_log(root: Path) -> dict:
    return json.loads((root / VERDICTS_DIR / LESSON / f"{STUDENT}.json").read_text())


def test_verdict_on_correct_evidence_is_full_points_whatever_the_kernel_showed(course):
    root, folder = course
    record(folder, get(EXERCISE).entry.reference, seed())
    cell = check_cell(outputs=[new_output("error", ename="AssertionError", evalue="", traceback=[]),
                               new_output("stream", name="stderr", text="noise")])
    nb, _ = run(HiddenVerdicts, new_notebook(cells=[cell]), folder, root)
    (out,) = nb.cells[0].outputs
    assert out.output_type == "stream" and out.name == "stdout" and "passed" in out.text
    assert determine_grade(nb.cells[0])[0] == 3
    log = verdict_log(root)
    assert log["cells"][f"check_{NAME}"]["passed"] is True and log["status"] == "graded"


def test_verdict_on_a_catalogued_mistake_names_it_and_scores_zero(course):
    root, folder = course
    entry = get(EXERCISE).entry
    m = next(m for m in entry.mistakes if m.id == "missing_scale")
    record(folder, m.fn, seed())
    # The kernel was patched to look fine: a pass line and no error.
    cell = check_cell(outputs=[new_output("stream", name="stdout", text="\u2713 passed\n")])
    nb, _ = run(HiddenVerdicts, new_notebook(cells=[cell]), folder, root)
    (out,) = nb.cells[0].outputs
    assert out.output_type == "error" and out.ename == "CheckFailed"
    assert "sqrt(d_k)" in out.evalue
    assert determine_grade(nb.cells[0])[0] == 0
    assert verdict_log(root)["cells"][f"check_{NAME}"]["mistake"] == "missing_scale"


def test_evidence_recorded_with_another_seed_fails(course):
    root, folder = course
    record(folder, get(EXERCISE).entry.reference, seed() + 1)  # a seed of the student's own
    cell = check_cell()
    nb, _ = run(HiddenVerdicts, new_notebook(cells=[cell]), folder, root)
    assert determine_grade(nb.cells[0])[0] == 0


def test_missing_evidence_fails_with_the_reason_and_the_kernels_error(course):
    root, folder = course
    cell = check_cell(outputs=[new_output("error", ename="NotImplementedError", evalue="",
                                          traceback=[])])
    nb, _ = run(HiddenVerdicts, new_notebook(cells=[cell]), folder, root)
    (out,) = nb.cells[0].outputs
    assert out.ename == "CheckFailed"
    assert "no evidence was recorded" in out.evalue and "NotImplementedError" in out.evalue
    assert determine_grade(nb.cells[0])[0] == 0


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/pwned-by-evidence",))


@pytest.mark.parametrize("payload", [
    b"not a torch file",
    pickle.dumps({"visible:x": {"out": _Evil()}}),
    "torch-evil",
    "torch-list",
    "torch-fake-case",
], ids=["garbage", "raw-pickle", "torch-pickled-code", "torch-list", "torch-fake-case"])
def test_malformed_or_forged_evidence_fails_and_runs_no_code(course, payload):
    root, folder = course
    path = folder / EVIDENCE_DIR / f"{NAME}.pt"
    path.parent.mkdir()
    if payload == "torch-evil":
        torch.save({"visible:x": {"out": _Evil()}}, path)
    elif payload == "torch-list":
        torch.save([torch.zeros(2)], path)
    elif payload == "torch-fake-case":
        torch.save({"visible:fake": {"out": torch.zeros(2, 2)}}, path)
    else:
        path.write_bytes(payload)
    nb, _ = run(HiddenVerdicts, new_notebook(cells=[check_cell()]), folder, root)
    (out,) = nb.cells[0].outputs
    assert out.ename == "CheckFailed"
    assert determine_grade(nb.cells[0])[0] == 0
    assert not Path("/tmp/pwned-by-evidence").exists()


def test_unregistered_and_solution_cells_keep_the_kernels_outputs(course):
    root, folder = course
    plain = new_code_cell("assert True", metadata=_meta("test_other", grade=True, locked=True,
                                                         points=1))
    plain.outputs = [new_output("stream", name="stdout", text="fine\n")]
    sol = new_code_cell("x = 1", metadata=_meta(f"ex_{NAME}", solution=True))
    sol.outputs = [new_output("stream", name="stdout", text="mine\n")]
    nb, _ = run(HiddenVerdicts, new_notebook(cells=[plain, sol]), folder, root)
    assert nb.cells[0].outputs[0].text == "fine\n" and nb.cells[1].outputs[0].text == "mine\n"


def test_a_duplicated_test_cell_is_graded_once(course):
    """DeduplicateIds (sanitize) keeps the last cell of a grade id; the others are
    plain code, so the verdict (and its points) are given once."""
    root, folder = course
    record(folder, get(EXERCISE).entry.reference, seed())
    nb = new_notebook(cells=[check_cell(), check_cell(), check_cell()])
    nb, _ = DeduplicateIds().preprocess(nb, resources(folder))
    nb, _ = run(DropStrayMetadata, nb, folder, root)
    assert ["nbgrader" in c.metadata for c in nb.cells] == [False, False, True]
    nb, _ = run(HiddenVerdicts, nb, folder, root)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(graded) == 1 and nb.cells[-1] is graded[0]
    assert sum(determine_grade(c)[0] for c in graded) == 3


def test_drop_stray_metadata_keeps_cells_with_grade_ids(course):
    root, folder = course
    cells = [check_cell(), new_code_cell("x = 1"), new_code_cell("y = 2", metadata={"nbgrader": {}})]
    nb, _ = run(DropStrayMetadata, new_notebook(cells=cells), folder, root)
    assert "nbgrader" in nb.cells[0].metadata and "nbgrader" not in nb.cells[2].metadata


# --- StripHiddenTests ------------------------------------------------------------------

def test_strip_hidden_tests_removes_regions_and_tolerates_broken_markers(course):
    root, folder = course
    broken = new_code_cell("x = 1\n### BEGIN HIDDEN TESTS\nsecret()\n")
    nb, _ = run(StripHiddenTests, new_notebook(cells=[check_cell(), broken]), folder, root)
    assert "labkit.record" not in nb.cells[0].source and "HIDDEN" not in nb.cells[0].source
    assert f'labkit.check("{NAME}", {NAME})' in nb.cells[0].source
    assert "secret" not in nb.cells[1].source and nb.cells[1].source.startswith("x = 1")


# --- the course configuration ------------------------------------------------------------

def load_config():
    return PyFileConfigLoader(LAB_CONFIG_TEMPLATE.name, path=str(LAB_CONFIG_TEMPLATE.parent)).load_config()


def steps_of(names) -> list:
    """A preprocessor list of the configuration, each import path resolved to its class."""
    return [import_item(n) if isinstance(n, str) else n for n in names]


def test_configuration_serialises_without_importing_the_grader():
    """The course's configuration names its preprocessors by import path: it serialises to
    JSON (formgrader's config panel) and loading it imports neither torch nor the grader."""
    cfg = load_config()
    json.dumps(cfg)
    code = ("import sys; from traitlets.config.loader import PyFileConfigLoader as L; "
            f"L({LAB_CONFIG_TEMPLATE.name!r}, path={str(LAB_CONFIG_TEMPLATE.parent)!r}).load_config(); "
            "print(sorted(m for m in ('torch', 'grader.autograde') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_autograde_pipeline_order():
    cfg = load_config()
    steps = steps_of(cfg.Autograde.autograde_preprocessors)
    idx = steps.index
    assert Execute not in steps  # nbgrader's Execute runs in the sandbox, as SafeExecute
    assert issubclass(SafeExecute, Execute)
    assert idx(PrepareEvidence) < idx(SafeExecute) < idx(RescueStderr) < idx(SaveAutoGrades)
    assert idx(SafeExecute) < idx(HiddenVerdicts) < idx(FaultNotice) < idx(SaveAutoGrades)
    assert idx(PrepareEvidence) < idx(SkipDisplayCells) == idx(SafeExecute) - 1
    assert cfg.OverwriteCells.add_missing_cells is True
    sanitize = steps_of(cfg.Autograde.sanitize_preprocessors)
    assert sanitize[0] is RequirePrivateCopy
    assert sanitize.index(DeduplicateIds) < sanitize.index(DropStrayMetadata) \
        < sanitize.index(RestoreCellFlags) < sanitize.index(OverwriteCells)
    assert StripHiddenTests in steps_of(cfg.GenerateFeedback.preprocessors)
    assert cfg.Execute.timeout and cfg.Execute.timeout > 0
    assert cfg.LabPreprocessor.course_root == str(LAB_CONFIG_TEMPLATE.parent)


@pytest.mark.parametrize("cls", [LabPreprocessor, DropStrayMetadata, FaultNotice, PrepareEvidence,
                                 RequirePrivateCopy, RescueStderr, HiddenVerdicts,
                                 StripHiddenTests, RestoreCellFlags, SafeExecute, SkipDisplayCells,
                                 Sandbox])
def test_every_setting_is_documented(cls):
    assert cls.__doc__
    for name, trait in cls.class_traits(config=True).items():
        assert trait.help, f"{cls.__name__}.{name} has no help"


def test_fault_notice_names_each_fault_at_the_top():
    """The faults of resources["lab_faults"] become a plain markdown cell at the top of the
    notebook, one list item each; a notebook without faults is left as it was."""
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    faults = ["cell 3 (check_f) ran past its time limit (60 s) and was interrupted",
              "a process of the notebook was killed for using more memory"]
    out, _ = FaultNotice().preprocess(nb, {"lab_faults": faults})
    first = out.cells[0]
    assert first.cell_type == "markdown" and not first.metadata.get("nbgrader")
    assert "- Cell 3 (check\\_f) ran past its time limit" in first.source
    assert "- A process of the notebook was killed" in first.source
    assert len(out.cells) == 2
    clean = new_notebook(cells=[new_code_cell("x = 1")])
    assert FaultNotice().preprocess(clean, {"lab_faults": []})[0].cells == clean.cells
