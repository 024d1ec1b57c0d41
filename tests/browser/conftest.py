"""Playwright (pytest-playwright) on Debian's Chromium: never a downloaded browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.lab import CHROMIUM, CHROMIUM_FLAGS, require_chromium


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, with the system Chromium and its flags."""
    require_chromium()
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="module")
def browser_context_args():
    """A window large enough for JupyterLab's panels and dialogs (pytest-playwright's
    own reads --device from the session's Playwright: see below)."""
    return {"viewport": {"width": 1400, "height": 900}}


# pytest-playwright keeps Playwright (and its event loop, marked running in this thread) for
# the whole session; under pytest-xdist the worker then runs other tests, where asyncio.run()
# would fail ("cannot be called from a running event loop"). Here Playwright and the browser
# live for one module of browser tests only: the same fixtures, module-scoped.

@pytest.fixture(scope="module")
def playwright(_pw_api_request_contexts):
    pw = sync_playwright().start()
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    yield pw
    pw.stop()


@pytest.fixture(scope="module")
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name)


@pytest.fixture(scope="module")
def launch_browser(browser_type_launch_args, browser_type):
    def launch(**kwargs):
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})
    return launch


@pytest.fixture(scope="module")
def browser(launch_browser):
    launched = launch_browser()
    yield launched
    launched.close()
