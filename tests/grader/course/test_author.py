"""Authoring in place: solutions folders linked to their released kit, blocks and fixtures."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from grader.course.author import link_lesson, link_solutions
from grader.course.paths import LESSONS_DIR, NOT_SHIPPED, SOLUTIONS_DIR


def _released(root, lesson, blocks=True):
    folder = root / "lessons" / lesson
    (folder / "labkit").mkdir(parents=True)
    (folder / f"{lesson}.ipynb").write_text("{}")
    (folder / "fixtures.pt").write_bytes(b"x")
    if blocks:
        (folder / "blocks").mkdir()
    source = root / "solutions" / lesson
    source.mkdir(parents=True)
    (source / f"{lesson}.ipynb").write_text("{}")
    return source


def test_links_point_at_the_released_folder(tmp_path):
    """labkit, blocks and fixtures.pt are relative links into lessons/<lesson>/, made again
    on a second run; a lesson without blocks gets no blocks link."""
    source = _released(tmp_path, "02_attention", blocks=False)
    _released(tmp_path, "03_transformer_encoder")
    for _ in range(2):
        made = link_solutions(tmp_path / "solutions", tmp_path / "lessons")
    assert sorted(p.name for p in made) == ["blocks", "fixtures.pt", "fixtures.pt", "labkit", "labkit"]
    assert (source / "labkit").is_symlink() and not (source / "blocks").exists()
    assert (source / "fixtures.pt").resolve() == (tmp_path / "lessons/02_attention/fixtures.pt")
    assert not str((source / "labkit").readlink()).startswith("/")


def test_a_real_folder_is_never_replaced(tmp_path):
    """An instructor's own labkit folder in solutions/ is kept, with a clear error."""
    source = _released(tmp_path, "02_attention")
    (source / "labkit").mkdir()
    with pytest.raises(ValueError, match="exists and is not a link"):
        link_lesson("02_attention", tmp_path / "solutions", tmp_path / "lessons")
    assert (source / "labkit").is_dir() and not (source / "labkit").is_symlink()


def test_an_unreleased_lesson_says_what_to_run(tmp_path):
    """Linking a lesson that has no folder in lessons/ names the release command."""
    (tmp_path / "solutions" / "09_new").mkdir(parents=True)
    with pytest.raises(ValueError, match="release --update-lessons --lessons 09_new"):
        link_lesson("09_new", tmp_path / "solutions", tmp_path / "lessons")


@pytest.mark.slow
def test_a_linked_source_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    """An instructor's source notebook (solutions, hidden tests and display cells included)
    runs to the end in its own folder once linked to the released kit, blocks and fixtures,
    as JupyterLab would run it."""
    lesson = "03_transformer_encoder"
    shutil.copytree(SOLUTIONS_DIR / lesson, tmp_path / "solutions" / lesson,
                    ignore=shutil.ignore_patterns(*NOT_SHIPPED))
    shutil.copytree(LESSONS_DIR / lesson, tmp_path / "lessons" / lesson)
    link_lesson(lesson, tmp_path / "solutions", tmp_path / "lessons")
    folder = tmp_path / "solutions" / lesson
    nb = nbformat.read(str(folder / f"{lesson}.ipynb"), as_version=4)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the kernel inherits it: no display needed
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(folder)}},
                   kernel_name="python3").execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("visible checks passed" in o.get("text", "") for o in outputs)
