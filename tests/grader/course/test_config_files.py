"""The course's configuration: the build refreshes the pipeline and never the instructor's file."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

from grader.course.config_files import LOADS_LAB_CONFIG, write_course_config
from grader.course.directory import Course
from grader.course.paths import CONFIG_FILE, LAB_CONFIG_FILE, LAB_CONFIG_TEMPLATE

EXCHANGE = "c.Exchange.root = '/srv/our-exchange'\n"


def test_first_write_gives_an_instructor_file_that_loads_the_pipeline(tmp_path: Path) -> None:
    """A new course gets both files; its configuration holds the pipeline and the
    course root, and no exchange folder is forced on it."""
    assert write_course_config(tmp_path) == []
    assert (tmp_path / LAB_CONFIG_FILE).read_text() == LAB_CONFIG_TEMPLATE.read_text()
    assert LOADS_LAB_CONFIG in (tmp_path / CONFIG_FILE).read_text()
    cfg = Course(tmp_path).config()
    assert "grader.autograde.preprocessors.SafeExecute" in cfg.Autograde.autograde_preprocessors
    assert cfg.LabPreprocessor.course_root == str(tmp_path)
    assert "root" not in cfg.Exchange


def test_instructor_settings_survive_a_rebuild(tmp_path: Path) -> None:
    """A setting added to nbgrader_config.py (the exchange) is still there, and still in
    force, after the build writes the configuration again; the pipeline is refreshed."""
    write_course_config(tmp_path)
    with open(tmp_path / CONFIG_FILE, "a") as fh:
        fh.write(EXCHANGE)
    (tmp_path / LAB_CONFIG_FILE).write_text("c = get_config()\n")  # a stale pipeline
    assert write_course_config(tmp_path) == []
    assert (tmp_path / CONFIG_FILE).read_text().endswith(EXCHANGE)
    cfg = Course(tmp_path).config()
    assert cfg.Exchange.root == "/srv/our-exchange"
    assert "grader.autograde.preprocessors.SafeExecute" in cfg.Autograde.autograde_preprocessors


def test_an_old_full_copy_is_kept_aside_not_lost(tmp_path: Path) -> None:
    """An nbgrader_config.py of the old layout (the pipeline itself, with the instructor's
    edits) is renamed, never overwritten, and the note says where it went."""
    old = LAB_CONFIG_TEMPLATE.read_text() + EXCHANGE
    (tmp_path / CONFIG_FILE).write_text(old)
    (tmp_path / (CONFIG_FILE + ".old")).write_text("an earlier one")
    notes = write_course_config(tmp_path)
    kept = tmp_path / (CONFIG_FILE + ".old.1")
    assert kept.read_text() == old
    assert (tmp_path / (CONFIG_FILE + ".old")).read_text() == "an earlier one"
    assert len(notes) == 1 and kept.name in notes[0] and "settings" in notes[0]
    assert LOADS_LAB_CONFIG in (tmp_path / CONFIG_FILE).read_text()


def test_a_missing_pipeline_is_refused_not_skipped(tmp_path: Path) -> None:
    """Without lab_config.py, loading the course's configuration fails and names the command
    to run, instead of grading with nbgrader's stock pipeline."""
    write_course_config(tmp_path)
    (tmp_path / LAB_CONFIG_FILE).unlink()
    with pytest.raises(FileNotFoundError, match="pretraining-lab build"):
        PyFileConfigLoader(CONFIG_FILE, path=str(tmp_path)).load_config()
