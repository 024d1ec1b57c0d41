"""What the browser tests share: Debian's Chromium, JupyterLab servers started through the
course's launcher (``python -m grader.classroom``), and screenshots under build/screenshots/.

Playwright never downloads a browser here: the tests point it at ``/usr/bin/chromium``
(``make test`` installs Debian's package when it is missing, as it installs bubblewrap).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PRETRAINING_LAB_CHROMIUM", "/usr/bin/chromium")
#: As root Chromium needs --no-sandbox; the network flags keep it off the (closed) internet.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic"]
SCREENSHOTS = ROOT / "build" / "screenshots"
#: JupyterLab's news and update checks off: their toast would sit over the notebook.
#: Every cell in the page (no windowing), so the tests read all cells' prompts and outputs.
LAB_SETTINGS = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings":
                {"fetchNews": "false", "checkForUpdates": False},
                "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
                {"windowingMode": "none"}}


def require_chromium() -> None:
    """Fail (never skip) when Chromium is missing: `make test` installs it."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"the browser tests drive Debian's Chromium ({CHROMIUM}), which is not "
                    "installed: run `make test` as root (it installs it) or `apt-get install "
                    "-y chromium`", pytrace=False)


def screenshot(page, name: str) -> Path:
    """Save the page as build/screenshots/<name>.png (kept for a look after a failure)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """A JupyterLab server from the launcher, on a free localhost port with a token, in a
    home of its own (HOME, settings, workspaces), so nothing of the machine's user leaks
    in."""

    def __init__(self, base: Path, role: str, *launcher_args: str,
                 env: dict[str, str] | None = None) -> None:
        self.base, self.port, self.token = base, free_port(), os.urandom(12).hex()
        home = base / "home"
        settings = base / "lab-settings"
        for name, value in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(value))
        self.env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
                    "JUPYTERLAB_SETTINGS_DIR": str(settings),
                    "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"), **(env or {})}
        self.env.pop("JUPYTER_CONFIG_PATH", None)
        home.mkdir(parents=True, exist_ok=True)
        self.log = base / "jupyter.log"
        self.command = [sys.executable, "-m", "grader.classroom", role, *launcher_args,
                        "--config-dir", str(base / "config"), "--no-browser",
                        f"--port={self.port}", "--ServerApp.ip=127.0.0.1",
                        f"--IdentityProvider.token={self.token}"]
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def link(self, path: str = "lab") -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.url}/{path}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET") -> object:
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            body = reply.read()
        return json.loads(body) if body else None

    def start(self, timeout: float = 90) -> JupyterLab:
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                self.api("status")
                return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"JupyterLab not ready after {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Shut its kernels down (they run in sessions of their own), then the server."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            for kernel in self.api("kernels") or []:
                self.api(f"kernels/{kernel['id']}", method="DELETE")
        except OSError:
            pass
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def copy_lesson(src: Path, dest: Path) -> Path:
    """A private copy of a lesson folder (the tests never write in lessons/)."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", ".lab_*",
                                                             ".ipynb_checkpoints"))
    return dest
