"""What a lesson folder's ``labkit`` holds: the kit's core and that lesson's harnesses."""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import pytest

from grader.course.kit import EXERCISES, copy_kit, harness_folder
from grader.course.lessons import available_lessons
from grader.course.paths import LABKIT_DIR, LESSONS_DIR

LESSONS = available_lessons()


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def test_harness_folder_is_the_lesson_id_without_its_number():
    """``02_attention`` keeps its harnesses in ``exercises/attention``; a bad id is refused."""
    assert harness_folder("02_attention") == "attention"
    with pytest.raises(ValueError, match="expected a lesson id like '02_attention', got 'attention'"):
        harness_folder("attention")


@pytest.mark.parametrize("lesson", LESSONS)
def test_kit_ships_the_core_and_only_its_own_harnesses(lesson, tmp_path):
    """Every core module is shipped, and of the harness folders only the lesson's own."""
    kit = copy_kit(lesson, tmp_path / "labkit")
    core = {p.name for p in LABKIT_DIR.glob("*.py")}
    assert core <= {p.name for p in kit.glob("*.py")}
    folders = {p.name for p in (kit / EXERCISES).iterdir() if p.is_dir()}
    assert folders == {harness_folder(lesson)}
    assert filecmp.cmp(kit / EXERCISES / "__init__.py", LABKIT_DIR / EXERCISES / "__init__.py",
                       shallow=False)


def test_changing_one_lessons_harness_leaves_the_other_kits_unchanged(tmp_path):
    """Edit a harness of one lesson: that lesson's kit changes, every other one is the same."""
    kit = tmp_path / "kit"
    shutil.copytree(LABKIT_DIR, kit, ignore=shutil.ignore_patterns("__pycache__"))
    before = {x: _tree(copy_kit(x, tmp_path / "before" / x, kit)) for x in LESSONS}
    changed = LESSONS[0]
    harness = next((kit / EXERCISES / harness_folder(changed)).glob("*.py"))
    harness.write_text(harness.read_text() + "\n# an instructor's edit\n")
    after = {x: _tree(copy_kit(x, tmp_path / "after" / x, kit)) for x in LESSONS}
    assert [x for x in LESSONS if before[x] != after[x]] == [changed]


@pytest.mark.parametrize("lesson", LESSONS)
def test_committed_lesson_folder_ships_only_its_own_harnesses(lesson):
    """``lessons/<lesson>/labkit`` holds no other lesson's harness folder."""
    shipped = LESSONS_DIR / lesson / "labkit" / EXERCISES
    folders = {p.name for p in shipped.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == {harness_folder(lesson)}
