"""The verdict log's one owner (grader/autograde/verdict_log.py): where it lives, an
atomic write, and a read that treats a missing or damaged log as no log."""

from __future__ import annotations

import pytest

from grader.autograde import verdict_log
from grader.course.paths import VERDICTS_DIR


def test_path_is_lab_verdicts_lesson_student(tmp_path):
    assert verdict_log.path(tmp_path, "01_intro", "alice") == \
        tmp_path / VERDICTS_DIR / "01_intro" / "alice.json"


def test_write_then_read_round_trips_and_leaves_no_temporary_file(tmp_path):
    record = {"status": "graded", "cells": {"check_a": {"passed": True}}, "faults": []}
    dest = verdict_log.write_atomic(tmp_path, "01_intro", "alice", record)
    assert dest == verdict_log.path(tmp_path, "01_intro", "alice")
    assert verdict_log.read(tmp_path, "01_intro", "alice") == record
    assert [p.name for p in dest.parent.iterdir()] == ["alice.json"]
    verdict_log.write_atomic(tmp_path, "01_intro", "alice", {"status": "error"})
    assert verdict_log.read(tmp_path, "01_intro", "alice") == {"status": "error"}


def test_a_failed_write_keeps_the_old_log_whole(tmp_path, monkeypatch):
    verdict_log.write_atomic(tmp_path, "01_intro", "alice", {"status": "graded"})

    def broken_dump(obj, fh, **kw):
        fh.write('{"status": "gra')  # half a file, then the write fails
        raise OSError("disk full")

    monkeypatch.setattr(verdict_log.json, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        verdict_log.write_atomic(tmp_path, "01_intro", "alice", {"status": "error"})
    monkeypatch.undo()
    assert verdict_log.read(tmp_path, "01_intro", "alice") == {"status": "graded"}
    folder = verdict_log.path(tmp_path, "01_intro", "alice").parent
    assert [p.name for p in folder.iterdir()] == ["alice.json"]


@pytest.mark.parametrize("content", [None, "", '{"status": "gra', "[1, 2]", b"\xff\xfe"])
def test_a_missing_or_corrupt_log_reads_as_none(tmp_path, content):
    dest = verdict_log.path(tmp_path, "01_intro", "bob")
    if content is not None:
        dest.parent.mkdir(parents=True)
        if isinstance(content, bytes):
            dest.write_bytes(content)
        else:
            dest.write_text(content)
    assert verdict_log.read(tmp_path, "01_intro", "bob") is None


def test_only_a_dict_is_written(tmp_path):
    with pytest.raises(ValueError, match="a verdict log is a dict, got list"):
        verdict_log.write_atomic(tmp_path, "01_intro", "alice", [])  # type: ignore[arg-type]
    assert not verdict_log.path(tmp_path, "01_intro", "alice").exists()


def test_remove(tmp_path):
    verdict_log.write_atomic(tmp_path, "01_intro", "alice", {"status": "graded"})
    verdict_log.remove(tmp_path, "01_intro", "alice")
    verdict_log.remove(tmp_path, "01_intro", "alice")  # a missing log is fine
    assert verdict_log.read(tmp_path, "01_intro", "alice") is None
