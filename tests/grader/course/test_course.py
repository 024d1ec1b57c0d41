"""The course folder: build, release, lessons/ up to date, import, and the CLI."""

from __future__ import annotations

import argparse
import json
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
import torch

from grader import cli
from grader.course.build import build_course
from grader.course.compare import compare_lesson_dirs, same_tensors
from grader.course.directory import Course
from grader.course.lessons import available_lessons
from grader.course.paths import LESSONS_DIR, SECRET_FILE, SOLUTIONS_DIR
from grader.course.release import release, update_lessons
from grader.course.submissions import SubmissionError, import_submissions, scan
from tests.grader.data import dev_lesson

LESSON = dev_lesson.LESSON


@pytest.fixture(scope="module")
def dev_course(tmp_path_factory):
    """A course built and released from the small development lesson."""
    base = tmp_path_factory.mktemp("dev")
    dev_lesson.write(base / "solutions")
    course = build_course(base / "course", solutions_dir=base / "solutions")
    release(course)
    return course


def test_build_layout(dev_course):
    src = dev_course.source / LESSON
    assert (src / f"{LESSON}.ipynb").is_file()
    assert (src / "labkit" / "__init__.py").is_file() and (src / "labkit" / "exercises").is_dir()
    assert not list(src.rglob("__pycache__")) and not (src / "mistakes").exists()
    fixtures = torch.load(src / "fixtures.pt", weights_only=True)
    assert fixtures["lesson"] == LESSON and "scaled_dot_product_attention" in fixtures["exercises"]
    assert (dev_course.root / "nbgrader_config.py").is_file()
    secret = (dev_course.root / SECRET_FILE).read_text().strip()
    assert len(secret) >= 32 and (dev_course.root / SECRET_FILE).stat().st_mode & 0o077 == 0
    for folder in (dev_course.source, dev_course.release_dir):
        assert not any(secret in p.read_text(errors="ignore") for p in folder.rglob("*")
                       if p.is_file() and p.suffix != ".pt")


def test_rebuilding_keeps_the_secret_and_submissions(dev_course, tmp_path):
    root = tmp_path / "c"
    shutil.copytree(dev_course.root, root)
    (root / "submitted" / "bob" / LESSON).mkdir(parents=True)
    before = (root / SECRET_FILE).read_text()
    build_course(root, [LESSON], solutions_dir=dev_course.root.parent / "solutions")
    assert (root / SECRET_FILE).read_text() == before
    assert (root / "submitted" / "bob" / LESSON).is_dir()


def test_nbgrader_own_autograde_is_refused_with_the_command_to_use(dev_course, tmp_path):
    """nbgrader's own autograde on the course folder (its command, Formgrader's Autograde
    button) would grade with the files that came with the submission: it is refused, and
    the message names `pretraining-lab autograde`; nothing is graded."""
    root = tmp_path / "c"
    shutil.copytree(dev_course.root, root)
    course = Course(root)
    folder = course.submitted / "zed" / LESSON
    shutil.copytree(course.release_dir / LESSON, folder)
    result = course.api().autograde(LESSON, "zed", force=True, create=True)
    assert not result["success"]
    said = (result.get("log") or "") + (result.get("error") or "")
    assert "pretraining-lab autograde --course" in said and "--student zed" in said
    assert not (course.autograded / "zed" / LESSON / f"{LESSON}.ipynb").exists()


def test_release_strips_solutions_hidden_tests_and_outputs(dev_course):
    rel = dev_course.release_dir / LESSON
    nb = nbformat.read(str(rel / f"{LESSON}.ipynb"), as_version=4)
    text = json.dumps(nb)
    assert "labkit.record" not in text and "BEGIN HIDDEN" not in text
    assert "math.sqrt(q.shape[-1])" not in text and "NotImplementedError" in text
    assert (rel / "labkit").is_dir() and (rel / "fixtures.pt").is_file()
    assert all(c.get("outputs", []) == [] for c in nb.cells)


def test_update_lessons_then_compare(dev_course, tmp_path):
    (dest,) = update_lessons(dev_course, [LESSON], tmp_path / "lessons")
    assert compare_lesson_dirs(dev_course.release_dir / LESSON, dest) == []
    nb = json.loads((dest / f"{LESSON}.ipynb").read_text())
    assert all(c.get("execution_count") is None for c in nb["cells"])
    (dest / "labkit" / "extra.py").write_text("x = 1\n")
    fx = torch.load(dest / "fixtures.pt", weights_only=True)
    first = next(iter(fx["exercises"].values()))["expected"][0]
    key = next(k for k, v in first.items() if isinstance(v, torch.Tensor) and v.is_floating_point())
    first[key] = first[key] + 1
    torch.save(fx, dest / "fixtures.pt")
    diffs = compare_lesson_dirs(dev_course.release_dir / LESSON, dest)
    assert diffs == ["unexpected: labkit/extra.py", "differs: fixtures.pt"]


def test_building_refuses_blocks_a_lesson_does_not_ship(tmp_path):
    sol = tmp_path / "solutions"
    dev_lesson.write(sol)
    nb = nbformat.read(str(sol / LESSON / f"{LESSON}.ipynb"), as_version=4)
    nb.cells[1].source += "\nfrom blocks.training import train"
    nbformat.write(nb, str(sol / LESSON / f"{LESSON}.ipynb"))
    with pytest.raises(ValueError, match="training"):
        build_course(tmp_path / "course", solutions_dir=sol)


@pytest.mark.skipif(not available_lessons(), reason="no lessons in solutions/ yet")
def test_committed_lessons_are_up_to_date(tmp_path):
    """lessons/ must be what `pretraining-lab release --update-lessons` writes."""
    lessons = available_lessons()
    course = build_course(tmp_path / "course", lessons)
    release(course, lessons)
    problems = []
    for lesson in lessons:
        problems += [f"{lesson}: {d}" for d in compare_lesson_dirs(course.release_dir / lesson,
                                                                   LESSONS_DIR / lesson)]
    assert not problems, ("lessons/ is out of date; run `pretraining-lab release "
                          "--update-lessons`:\n" + "\n".join(problems))


def test_committed_lessons_have_no_outputs():
    for path in LESSONS_DIR.rglob("*.ipynb"):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            assert not cell.get("outputs") and cell.get("execution_count") is None, path


def test_every_solution_lesson_is_committed():
    committed = {p.name for p in LESSONS_DIR.iterdir() if p.is_dir()}
    assert set(available_lessons(SOLUTIONS_DIR)) <= committed


# --- import ---------------------------------------------------------------------------------

def _nb_bytes(text: str = "x = 1") -> bytes:
    return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(text)])).encode()


@pytest.fixture
def course(dev_course, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(dev_course.root, root)
    return Course(root)


def submitted(course: Course) -> list[tuple[str, str]]:
    return course.submissions()


def test_import_folder_layout(course, tmp_path):
    src = tmp_path / "in"
    for student in ("alice", "bob_smith"):
        (src / student / LESSON).mkdir(parents=True)
        (src / student / LESSON / f"{LESSON}.ipynb").write_bytes(_nb_bytes(student))
    (src / "alice" / LESSON / ".ipynb_checkpoints").mkdir()
    (src / "alice" / LESSON / ".ipynb_checkpoints" / f"{LESSON}-checkpoint.ipynb").write_text("{")
    (src / "README.txt").write_text("hello")
    result = import_submissions(course, src)
    assert sorted(result.imported) == [("alice", LESSON), ("bob_smith", LESSON)]
    assert result.skipped == ["README.txt"]
    assert submitted(course) == [("alice", LESSON), ("bob_smith", LESSON)]
    assert b"bob_smith" in (course.submitted / "bob_smith" / LESSON / f"{LESSON}.ipynb").read_bytes()


def test_import_lms_zip(course, tmp_path):
    zpath = tmp_path / "lms.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr(f"carol_{LESSON}.ipynb", _nb_bytes())
        zf.writestr(f"downloads/dan_o_neil_{LESSON}.ipynb", _nb_bytes())
        zf.writestr(f"__MACOSX/._carol_{LESSON}.ipynb", b"junk")
    result = import_submissions(course, zpath)
    assert sorted(result.imported) == [("carol", LESSON), ("dan_o_neil", LESSON)]


@pytest.mark.parametrize("members, message", [
    ({f"eve_{LESSON}.ipynb": b"{not json"}, "not valid JSON"),
    ({f"eve_{LESSON}.ipynb": b'{"cells": 5, "hello": "world"}'}, "not a notebook"),
    # JSON with a list of cells that nbformat's schema rejects (a made-up cell type)
    ({f"eve_{LESSON}.ipynb": b'{"cells": [{"cell_type": "poem", "source": "", "metadata": {}}], '
      b'"metadata": {}, "nbformat": 4, "nbformat_minor": 5}'}, "does not follow the notebook format"),
    ({f"../eve_{LESSON}.ipynb": None}, "unsafe path"),
    ({"eve_99_unknown.ipynb": None}, "cannot tell the student and lesson"),
    ({f"eve_{LESSON}.ipynb": None, f"eve/{LESSON}/{LESSON}.ipynb": None}, "a second submission"),
    ({f"-eve_{LESSON}.ipynb": None}, "not a valid student id"),
    ({"notes.txt": b"hi"}, "no submissions found"),
])
def test_bad_zip_imports_nothing(course, tmp_path, members, message):
    zpath = tmp_path / "bad.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr(f"ok_{LESSON}.ipynb", _nb_bytes()) if message != "no submissions found" else None
        for name, data in members.items():
            zf.writestr(name, _nb_bytes() if data is None else data)
    with pytest.raises(SubmissionError, match=message):
        import_submissions(course, zpath)
    assert submitted(course) == []


def test_not_a_zip(course, tmp_path):
    bogus = tmp_path / "grades.zip"
    bogus.write_text("this is not a zip")
    with pytest.raises(SubmissionError, match="not a readable zip"):
        import_submissions(course, bogus)
    with pytest.raises(SubmissionError, match="no such file"):
        scan(tmp_path / "missing", [LESSON])


def test_name_clash_keeps_the_old_submission_unless_replaced(course, tmp_path):
    src = tmp_path / "in"
    (src / "alice" / LESSON).mkdir(parents=True)
    path = src / "alice" / LESSON / f"{LESSON}.ipynb"
    path.write_bytes(_nb_bytes("first"))
    import_submissions(course, src)
    path.write_bytes(_nb_bytes("second"))
    with pytest.raises(SubmissionError, match="already submitted: alice/"):
        import_submissions(course, src)
    dest = course.submitted / "alice" / LESSON / f"{LESSON}.ipynb"
    assert b"first" in dest.read_bytes()
    result = import_submissions(course, src, replace=True)
    assert b"second" in dest.read_bytes()
    assert result.backup is not None
    assert b"first" in (result.backup / "alice" / LESSON / f"{LESSON}.ipynb").read_bytes()
    assert not list(course.submitted.glob(".import-*"))


# --- CLI -------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["build", "release", "fixtures", "import", "autograde",
                                     "feedback", "export", "report", "demo"])
def test_cli_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: pretraining-lab " + command in capsys.readouterr().out


def test_cli_import_error_is_clear(course, tmp_path, capsys):
    bogus = tmp_path / "x.zip"
    bogus.write_text("nope")
    assert cli.main(["import", "--course", str(course.root), str(bogus)]) == 2
    assert "error: " in capsys.readouterr().err


def test_cli_report_on_an_empty_course(course, capsys):
    assert cli.main(["report", "--course", str(course.root)]) == 0
    assert "No submissions" in capsys.readouterr().out


def test_cli_on_a_missing_course(tmp_path, capsys):
    assert cli.main(["report", "--course", str(tmp_path / "nowhere")]) == 2
    assert "pretraining-lab build" in capsys.readouterr().err


def test_readme_documents_every_command():
    """Every subcommand of the CLI's parser has a line in the README."""
    from grader.cli import build_parser

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert "author" in sub.choices
    for command in sub.choices:
        assert f"pretraining-lab {command}" in readme, command


# --- samples ---------------------------------------------------------------------------------

def dev_samples(course: Course, **kwargs):
    from grader.course.samples.make import lesson_samples

    return {s.kind: s for s in lesson_samples(
        course.source / LESSON, course.release_dir / LESSON, LESSON,
        course.root.parent / "solutions" / LESSON / "mistakes",
        seed_for=lambda student: course.seed(student, LESSON), **kwargs)}


def test_samples_declare_their_scores(dev_course):
    from grader.course.samples.sample import KINDS

    samples = dev_samples(dev_course)
    assert set(samples) == set(KINDS)
    full = {"check_scaled_dot_product_attention": 3.0, "check_attention_weights_shape": 1.0}
    assert samples["correct"].expected == full == samples["warning"].expected
    assert samples["empty"].expected_total == 0 == samples["monkeypatch"].expected_total
    for kind in ("mistake", "edited_test", "tampered_tests"):
        assert samples[kind].expected == {**full, "check_scaled_dot_product_attention": 0.0}
    code = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
            for c in samples["correct"].notebook.cells}
    assert "math.sqrt(q.shape[-1])" in code["ex_scaled_dot_product_attention"]
    assert "BEGIN SOLUTION" not in code["ex_scaled_dot_product_attention"]
    edited = [c.source for c in samples["edited_test"].notebook.cells
              if c.metadata.get("nbgrader", {}).get("grade_id") == "check_scaled_dot_product_attention"]
    assert edited == ["pass  # the student replaced the check"]
    tampered = [c.metadata.get("nbgrader", {}).get("grade_id")
                for c in samples["tampered_tests"].notebook.cells]
    assert "check_scaled_dot_product_attention" not in tampered
    assert tampered.count("check_attention_weights_shape") == 2
    assert tampered[0] == "check_attention_weights_shape"
    assert any("labkit.check = labkit.record" in c.source for c in samples["monkeypatch"].notebook.cells)


def test_dependents_follow_names_through_exercises():
    from grader.course.samples.mistakes import dependents

    solutions = {"ex_a": "def a(): pass", "ex_b": "def b(): return a()",
                 "ex_c": "class C:\n    def f(self): return b()", "ex_d": "d = 1"}
    assert dependents("a", solutions, ["a", "b", "c", "d"]) == ["b", "c"]
    assert dependents("c", solutions, ["a", "b", "c", "d"]) == []


def test_trusted_verdicts_run_the_samples_code_outside_the_notebook(dev_course):
    from grader.course.samples.notebook_cells import solution_sources
    from grader.course.samples.trusted import trusted_verdicts

    src = nbformat.read(str(dev_course.source / LESSON / f"{LESSON}.ipynb"), as_version=4)
    sol = solution_sources(src)
    wrong = (dev_course.root.parent / "solutions" / LESSON / "mistakes" /
             "scaled_dot_product_attention__missing_scale.py").read_text()
    cases = [{"id": "right", "cells": list(sol.values()), "check": ["scaled_dot_product_attention"],
              "seed": 1},
             {"id": "wrong", "cells": [wrong], "check": ["scaled_dot_product_attention"], "seed": 1}]
    verdicts = trusted_verdicts(LESSON, dev_course.source / LESSON, src, cases)
    assert verdicts == {"right": {"scaled_dot_product_attention": True},
                        "wrong": {"scaled_dot_product_attention": False}}


def test_fixtures_compare_equal_through_rounding_noise_only():
    """Fixtures rebuilt on another CPU differ by ~1e-15 in mathematically-zero gradients:
    the same fixture. A change a student could notice (1e-4) is a stale fixture; NaN
    equals NaN (a mistake's output), and dtype and shape must match exactly."""
    base = {"g": torch.tensor([0.0, 1e-16, 0.5, float("nan")], dtype=torch.float32)}
    noisy = {"g": base["g"] + torch.tensor([2.8e-15, -1e-15, 0.0, 0.0])}
    assert same_tensors(base, noisy)
    assert not same_tensors(base, {"g": base["g"] + torch.tensor([0.0, 0.0, 1e-4, 0.0])})
    assert not same_tensors(base, {"g": base["g"].double()})
    assert not same_tensors(base, {"g": base["g"][:3]})
    assert same_tensors({"ids": torch.tensor([1, 2])}, {"ids": torch.tensor([1, 2])})
    assert not same_tensors({"ids": torch.tensor([1, 2])}, {"ids": torch.tensor([1, 3])})
