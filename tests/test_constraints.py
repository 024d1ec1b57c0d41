"""The pinned constraints install on every Python the project declares.

``constraints.txt`` pins every package; ``pyproject.toml`` declares ``requires-python``. A
pin whose own ``Requires-Python`` excludes the oldest declared version breaks the set-up on
that Python (soupsieve 4.1.2 needs 3.11.5 and failed on Debian 12's 3.11.2), so the fast test
reads each installed pin's metadata, and the slow one asks pip to resolve the whole set with
the oldest interpreter found on this machine.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def pins() -> dict[str, str]:
    """``constraints.txt`` as {normalised name: version}."""
    found = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[re.sub(r"[-_.]+", "-", name).lower()] = version
    return found


def declared() -> SpecifierSet:
    """The project's ``requires-python``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return SpecifierSet(project["requires-python"])


def oldest_declared() -> str:
    """The lowest version ``requires-python`` admits (its ``>=`` bound, as ``X.Y.0``)."""
    lows = [Version(s.version) for s in declared() if s.operator in (">=", "~=")]
    if not lows:
        raise AssertionError(f"requires-python {declared()} has no lower bound")
    low = min(lows)
    return f"{low.major}.{low.minor}.{low.micro}"


def test_every_pin_admits_the_oldest_declared_python() -> None:
    """Each pinned package, as installed here, accepts the oldest Python the project declares."""
    oldest = oldest_declared()
    refused, missing = [], []
    for name, version in pins().items():
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        assert dist.version.split("+")[0] == version.split("+")[0], (name, dist.version, version)
        needs = dist.metadata.get("Requires-Python")
        if needs and oldest not in SpecifierSet(needs):
            refused.append(f"{name}=={version} needs Python {needs}")
    assert not missing, f"pinned but not installed (run make venv): {missing}"
    assert not refused, f"these pins refuse Python {oldest}: {refused}"


def interpreters() -> list[tuple[Version, str]]:
    """Pythons on this machine that the project declares, oldest first."""
    found = {}
    for path in sorted(Path("/usr/bin").glob("python3.*")) + [Path(sys.executable)]:
        if not re.fullmatch(r"python3(\.\d+)?", path.name) or not path.is_file():
            continue
        done = subprocess.run([str(path), "-c", "import platform;print(platform.python_version())"],
                              capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip() in declared():
            found[str(path)] = Version(done.stdout.strip())
    return sorted((v, p) for p, v in found.items())


@pytest.mark.slow
def test_constraints_resolve_with_the_oldest_interpreter(tmp_path: Path) -> None:
    """pip resolves ``-c constraints.txt -e '.[dev,peers]'`` with the oldest declared Python here
    (Debian 12's 3.11.2 where installed), as a fresh set-up would."""
    version, python = interpreters()[0]
    env = tmp_path / "venv"
    done = subprocess.run([python, "-m", "venv", str(env)], capture_output=True, text=True)
    assert done.returncode == 0, f"{python} cannot make a venv: {done.stderr[-500:]}"
    done = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "install", "--dry-run", "--quiet",
         "-c", "constraints.txt", "-e", ".[dev,peers]"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"Python {version} ({python}):\n{done.stderr[-3000:]}"
