"""What the sandbox tests share: they need bubblewrap and root, and FAIL (never
skip) with a clear message when it is missing: `make test` installs it."""

from __future__ import annotations

import os
import shutil

import pytest


def require_bwrap() -> None:
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap (bwrap) is not installed, and the autograder's sandbox needs it: "
                    "run `make test` as root (it installs it) or `apt-get install -y bubblewrap`",
                    pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("the sandbox tests run kernels as unprivileged uids, which needs root",
                    pytrace=False)
