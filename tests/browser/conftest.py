"""Playwright (pytest-playwright) on Debian's Chromium: never a downloaded browser."""

from __future__ import annotations

import pytest

from tests.browser.lab import CHROMIUM, CHROMIUM_FLAGS, require_chromium


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, with the system Chromium and its flags."""
    require_chromium()
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A window large enough for JupyterLab's panels and dialogs."""
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}}
