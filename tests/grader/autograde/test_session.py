"""The sandbox's lifetime in one context manager (grader/autograde/session.py): slot,
scratch folder, kernel, and the clean-up that runs however the notebook ends."""

from __future__ import annotations

import os
import subprocess

import pytest

from grader.autograde import session as session_module
from grader.autograde.sandbox import Sandbox
from grader.autograde.session import SandboxSession
from grader.autograde.slots import uid_processes
from tests.grader.sandbox_support import require_bwrap


class FakeKernel:
    """A kernel manager whose kernel is running until shut down."""

    def __init__(self) -> None:
        self.has_kernel = True
        self.shutdowns: list[bool] = []

    def shutdown_kernel(self, now: bool = False) -> None:
        self.shutdowns.append(now)
        self.has_kernel = False


def test_an_exception_inside_still_kills_copies_back_and_cleans_up(tmp_path):
    """The notebook's run raises: the uid's processes are killed anyway, what the
    kernel wrote is copied back and given to the grader's uid, the scratch is gone."""
    require_bwrap()
    (tmp_path / "given.txt").write_text("released")
    with pytest.raises(RuntimeError, match="the run failed"), \
            SandboxSession(Sandbox(folder_size=16 * 2**20), tmp_path, own_space=(".ev",)) as s:
        assert s.uid >= Sandbox().uid_base
        assert s.scratch is not None and s.scratch.staged, "no tmpfs could be mounted"
        with open(os.path.join(s.live, "wrote.txt"), "w") as fh:
            fh.write("mine")
        os.symlink("/etc/passwd", os.path.join(s.live, "link"))
        subprocess.Popen(["sleep", "300"], user=s.uid, start_new_session=True)
        assert uid_processes(s.uid)
        raise RuntimeError("the run failed")
    assert uid_processes(s.uid) == []
    assert (tmp_path / "given.txt").read_text() == "released"
    assert (tmp_path / "wrote.txt").read_text() == "mine"
    assert not (tmp_path / "link").exists() and not (tmp_path / "link").is_symlink()
    assert all(p.stat().st_uid == os.getuid() for p in tmp_path.rglob("*"))
    assert not s.scratch.path.exists()
    assert s.live == s.folder


def test_a_failure_while_staging_undoes_the_scratch(tmp_path, monkeypatch):
    require_bwrap()

    def fail(*args, **kwargs):
        raise OSError("no room to stage")

    monkeypatch.setattr(session_module.Scratch, "stage", fail)
    session = SandboxSession(Sandbox(folder_size=16 * 2**20), tmp_path)
    with pytest.raises(OSError, match="no room to stage"), session:
        pytest.fail("the body must not run")
    assert session.scratch is not None and not session.scratch.path.exists()


def test_without_the_sandbox_it_only_stops_the_kernel(tmp_path):
    kernel = FakeKernel()
    with SandboxSession(Sandbox(unsafe_no_sandbox=True), tmp_path) as s:
        assert s.attach(kernel) is kernel  # type: ignore[arg-type]
        assert s.live == str(tmp_path.resolve()) and s.uid == -1
    assert kernel.shutdowns == [True]
    s.close()  # closing twice does nothing
    assert kernel.shutdowns == [True]
