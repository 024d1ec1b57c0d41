"""JupyterLab for a student or an instructor, with the nbgrader extensions each should see.

nbgrader installs all its JupyterLab extensions for everybody: Create Assignment, Formgrader
and the Courses list, meant for instructors, next to Validate and the Assignments panel,
meant for students. A student who opens a lesson with plain ``jupyter lab`` sees the
instructor's tools, and an Assignments panel that says "Error fetching courses!" or "The
exchange directory does not exist" when no exchange is set up. This launcher writes a
Jupyter configuration folder and starts JupyterLab with it, by Jupyter's own mechanisms
(nothing installed is edited):

* ``labconfig/page_config.json``: ``disabledExtensions``, the JupyterLab plugins hidden
  (what ``jupyter labextension disable`` writes; Validate is a notebook toolbar button);
* ``jupyter_server_config.json``: ``ServerApp.jpserver_extensions``, the nbgrader server
  extensions turned off (what ``jupyter server extension disable`` writes);
* ``nbgrader_config.json``: the exchange folder and course id, when an exchange is named.

The folder goes on ``JUPYTER_CONFIG_PATH``, ahead of the environment's own configuration
and behind the user's (``~/.jupyter``, where a JupyterHub may put nbgrader settings), so it
changes nothing else. ``jupyter lab`` refuses to run as root without ``--allow-root``; the
launcher passes it only when running as root.

Students (``make student``)::

    python -m grader.classroom student                        # lessons/, no exchange
    python -m grader.classroom student --exchange DIR         # fetch and submit via DIR

Validate is always there. With an exchange (``--exchange`` or ``$PRETRAINING_LAB_EXCHANGE``;
course id ``--course-id`` or ``$PRETRAINING_LAB_COURSE_ID``, default the course's), the
Assignments panel fetches and submits, working in ``--root`` (default ``build/student``: a
fetched lesson must not land on the committed ``lessons/``). Without one, the Assignments
panel (and the Nbgrader menu, which would be empty) is hidden, not left to show an error:
the lessons are in ``lessons/`` already.

Instructors (``make instructor``)::

    python -m grader.classroom instructor [--course DIR]      # Formgrader on the course

JupyterLab runs from the course folder (built first if missing), where Formgrader finds
``nbgrader_config.py``, with every nbgrader extension. Arguments the launcher does not know
go to ``jupyter lab`` (``--port 8890 --no-browser``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .course.paths import COURSE_ID, DEFAULT_COURSE_DIR, LESSONS_DIR, PROJECT_ROOT

#: Where the launcher writes its configuration folders (git-ignored, like all of build/).
CONFIG_HOME = PROJECT_ROOT / "build" / "jupyter"
#: A student's working folder when lessons come from an exchange.
STUDENT_ROOT = PROJECT_ROOT / "build" / "student"

LAB_PLUGIN = "@jupyter/nbgrader:"
SERVER_EXTENSION = "nbgrader.server_extensions."
#: nbgrader's instructor tools, hidden from students: its JupyterLab plugins and the server
#: extensions behind them.
INSTRUCTOR_PLUGINS = ("create-assignment", "formgrader", "course-list")
INSTRUCTOR_SERVER = ("formgrader", "course_list")
#: The Assignments panel (fetch, submit, fetch feedback): a student's only with an exchange.
ASSIGNMENTS_PLUGIN, ASSIGNMENTS_SERVER = "assignment-list", "assignment_list"
#: The Nbgrader menu: it lists the panels above, those disabled hidden; empty without them.
MENU_PLUGIN = "menu"


@dataclass
class Setup:
    """What one JupyterLab gets: its folder, its hidden plugins, its nbgrader settings."""

    role: str
    root: Path
    disabled_plugins: list[str] = field(default_factory=list)
    disabled_server: list[str] = field(default_factory=list)
    nbgrader: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def student_setup(root: Path | None = None, exchange: str | Path | None = None,
                  course_id: str = COURSE_ID, student: str | None = None) -> Setup:
    """A student's JupyterLab: Validate always, the Assignments panel with an exchange only;
    a ValueError if the exchange folder does not exist."""
    plugins, server = list(INSTRUCTOR_PLUGINS), list(INSTRUCTOR_SERVER)
    if not exchange:
        plugins += [ASSIGNMENTS_PLUGIN, MENU_PLUGIN]
        server.append(ASSIGNMENTS_SERVER)
        note = ("no exchange is set, so the Assignments panel is hidden: the lessons are in "
                f"{root or LESSONS_DIR}. To fetch and submit through nbgrader's exchange, "
                "name it: --exchange DIR or PRETRAINING_LAB_EXCHANGE=DIR.")
        return Setup("student", Path(root or LESSONS_DIR), plugins, server, notes=[note])
    exchange = Path(exchange).resolve()
    if not exchange.is_dir():
        raise ValueError(f"the exchange folder {exchange} does not exist: ask your instructor "
                         "for its path (c.Exchange.root in the course's nbgrader_config.py)")
    settings: dict = {"Exchange": {"root": str(exchange)},
                      "CourseDirectory": {"course_id": course_id}}
    if student:
        settings["CourseDirectory"]["student_id"] = student
    root = Path(root or STUDENT_ROOT)
    note = (f"Assignments panel: course {course_id} in the exchange {exchange}; lessons are "
            f"fetched into {root}")
    return Setup("student", root, plugins, server, settings, [note])


def instructor_setup(course: Path) -> Setup:
    """An instructor's JupyterLab: every nbgrader extension, from the course folder."""
    return Setup("instructor", Path(course),
                 notes=[f"Formgrader: the course {course} (its nbgrader_config.py)"])


def write_config(setup: Setup, folder: Path) -> Path:
    """Write ``setup`` as a Jupyter configuration folder (replacing the files it owns)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "labconfig").mkdir(exist_ok=True)
    page = {"disabledExtensions": {LAB_PLUGIN + p: True for p in setup.disabled_plugins}}
    server = {"ServerApp": {"jpserver_extensions": {
        SERVER_EXTENSION + s: False for s in setup.disabled_server}}}
    _write_json(folder / "labconfig" / "page_config.json", page)
    _write_json(folder / "jupyter_server_config.json", server)
    nbgrader = folder / "nbgrader_config.json"
    if setup.nbgrader:
        _write_json(nbgrader, setup.nbgrader)
    elif nbgrader.exists():
        nbgrader.unlink()
    return folder


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def lab_command(setup: Setup, extra: list[str], *, as_root: bool | None = None) -> list[str]:
    """``jupyter lab`` on the setup's folder; ``--allow-root`` only when running as root."""
    as_root = os.geteuid() == 0 if as_root is None else as_root
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={setup.root}"]
    if as_root and "--allow-root" not in extra:
        command.append("--allow-root")
    return command + list(extra)


def lab_environment(config: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment with ``config`` first on ``JUPYTER_CONFIG_PATH``."""
    env = dict(os.environ if base is None else base)
    paths = [str(config)] + [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    return env


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m grader.classroom", description=__doc__.split(
        "\n\n")[0], epilog="Other arguments go to jupyter lab (--port N, --no-browser, ...).")
    sub = p.add_subparsers(dest="role", required=True)
    s = sub.add_parser("student", help="JupyterLab with Validate (and Assignments, given an "
                       "exchange); no instructor tools")
    s.add_argument("--root", type=Path, default=None, help="the folder JupyterLab opens "
                   "(default: lessons/, or build/student with an exchange)")
    s.add_argument("--exchange", default=os.environ.get("PRETRAINING_LAB_EXCHANGE") or None,
                   help="nbgrader's exchange folder (default: $PRETRAINING_LAB_EXCHANGE; none: "
                   "the Assignments panel is hidden)")
    s.add_argument("--course-id", default=os.environ.get("PRETRAINING_LAB_COURSE_ID", COURSE_ID),
                   help=f"the course in the exchange (default: $PRETRAINING_LAB_COURSE_ID or "
                   f"{COURSE_ID})")
    s.add_argument("--student", default=None, help="the student id submissions carry "
                   "(default: nbgrader's, the login name)")
    i = sub.add_parser("instructor", help="JupyterLab from the course folder, with Formgrader")
    i.add_argument("--course", type=Path, default=Path(os.environ.get(
        "PRETRAINING_LAB_COURSE", DEFAULT_COURSE_DIR)), help="the course folder (default: "
        "$PRETRAINING_LAB_COURSE or build/course; built if missing)")
    for q in (s, i):
        q.add_argument("--config-dir", type=Path, default=None, help="where to write the "
                       "Jupyter configuration (default: build/jupyter/<role>)")
        q.add_argument("--dry-run", action="store_true", help="write the configuration, print "
                       "the command, start nothing")
    return p


def _setup(args: argparse.Namespace) -> Setup:
    if args.role == "student":
        return student_setup(args.root, args.exchange, args.course_id, args.student)
    course = args.course.resolve()
    if not (course / "nbgrader_config.py").is_file():
        from .course.build import build_course  # only when the course is missing: slow
        print(f"building the course in {course} (pretraining-lab build)", file=sys.stderr)
        build_course(course)
    return instructor_setup(course)


def main(argv: list[str] | None = None) -> int:
    args, extra = _parser().parse_known_args(argv)
    try:
        setup = _setup(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    setup.root = setup.root.resolve()
    setup.root.mkdir(parents=True, exist_ok=True)
    config = write_config(setup, (args.config_dir or CONFIG_HOME / setup.role).resolve())
    command, env = lab_command(setup, extra), lab_environment(config)
    for note in setup.notes + [f"Jupyter configuration: {config}"]:
        print(note, file=sys.stderr)
    if args.dry_run:
        print(f"JUPYTER_CONFIG_PATH={env['JUPYTER_CONFIG_PATH']} {' '.join(command)}")
        return 0
    os.chdir(setup.root)  # nbgrader reads nbgrader_config.py from the working folder
    os.execve(command[0], command, env)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
