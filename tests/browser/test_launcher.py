"""The launcher's configuration (grader/classroom.py), without a browser: the plugin and
server-extension ids it disables are nbgrader's real ones, root gets --allow-root only as
root, and a missing exchange is refused before JupyterLab starts."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from grader import classroom

LABEXTENSION = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader"


def nbgrader_plugin_ids() -> set[str]:
    """The plugin ids nbgrader's installed JupyterLab extension registers."""
    ids = set()
    for js in (LABEXTENSION / "static").glob("*.js"):
        text = js.read_text(errors="replace")
        ids |= {f"{classroom.LAB_PLUGIN}{name}" for name in
                ("assignment-list", "course-list", "create-assignment", "formgrader", "menu",
                 "validate-assignment") if f'"{classroom.LAB_PLUGIN}{name}"' in text}
    return ids


def written(setup: classroom.Setup, folder: Path) -> tuple[dict, dict, dict | None]:
    classroom.write_config(setup, folder)
    page = json.loads((folder / "labconfig" / "page_config.json").read_text())
    server = json.loads((folder / "jupyter_server_config.json").read_text())
    nbg = folder / "nbgrader_config.json"
    return page, server, json.loads(nbg.read_text()) if nbg.exists() else None


def test_a_student_without_exchange_has_validate_only(tmp_path):
    page, server, nbg = written(classroom.student_setup(tmp_path), tmp_path / "cfg")
    hidden = set(page["disabledExtensions"])
    assert hidden <= nbgrader_plugin_ids(), hidden - nbgrader_plugin_ids()
    assert "@jupyter/nbgrader:validate-assignment" not in hidden
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
            "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:assignment-list"} <= hidden
    off = server["ServerApp"]["jpserver_extensions"]
    assert all(importlib.util.find_spec(name) for name in off), off
    assert set(off) == {f"nbgrader.server_extensions.{n}" for n in
                        ("formgrader", "course_list", "assignment_list")}
    assert not any(off.values()) and nbg is None


def test_a_student_with_an_exchange_gets_the_assignments_panel(tmp_path):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    setup = classroom.student_setup(tmp_path / "work", exchange, "course-x", "alice")
    page, server, nbg = written(setup, tmp_path / "cfg")
    assert "@jupyter/nbgrader:assignment-list" not in page["disabledExtensions"]
    assert "@jupyter/nbgrader:menu" not in page["disabledExtensions"]
    assert "nbgrader.server_extensions.assignment_list" not in server["ServerApp"][
        "jpserver_extensions"]
    assert nbg == {"Exchange": {"root": str(exchange)},
                   "CourseDirectory": {"course_id": "course-x", "student_id": "alice"}}


def test_a_missing_exchange_is_refused(tmp_path, capsys):
    assert classroom.main(["student", "--exchange", str(tmp_path / "nowhere"),
                           "--config-dir", str(tmp_path / "cfg"), "--dry-run"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_allow_root_only_as_root(tmp_path):
    setup = classroom.student_setup(tmp_path)
    assert "--allow-root" in classroom.lab_command(setup, [], as_root=True)
    assert "--allow-root" not in classroom.lab_command(setup, [], as_root=False)
    assert classroom.lab_command(setup, ["--port", "9"], as_root=False)[-2:] == ["--port", "9"]


def test_the_config_folder_goes_first_on_the_config_path(tmp_path):
    env = classroom.lab_environment(tmp_path, {"JUPYTER_CONFIG_PATH": "/a"})
    assert env["JUPYTER_CONFIG_PATH"].split(":") == [str(tmp_path), "/a"]


@pytest.mark.parametrize("role", ["student", "instructor"])
def test_dry_run_prints_the_command(tmp_path, capsys, role):
    args = ["--course", str(tmp_path)] if role == "instructor" else ["--root", str(tmp_path)]
    if role == "instructor":
        (tmp_path / "nbgrader_config.py").write_text("")
    assert classroom.main([role, *args, "--config-dir", str(tmp_path / "cfg"), "--dry-run",
                           "--no-browser"]) == 0
    out = capsys.readouterr().out
    assert f"--ServerApp.root_dir={tmp_path}" in out and out.rstrip().endswith("--no-browser")
