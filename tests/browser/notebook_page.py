"""Reading and driving a notebook in JupyterLab's page, as a student does: menus, cells,
the kernel's state, dialogs."""

from __future__ import annotations

import time

#: Each code cell of the open notebook: its source, prompt ("[3]:", "[*]:", "[ ]:") and
#: output text, and whether an output is an error (a traceback).
CELLS_JS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell')].map(c => ({
  source: c.querySelector('.cm-content')?.innerText ?? '',
  prompt: c.querySelector('.jp-InputPrompt')?.innerText.trim() ?? '',
  output: [...c.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText).join('\\n'),
  error: c.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
         !== null && /Error|Exception|Traceback|Failed/.test(c.innerText),
}))"""

#: Elements inside the open dialog whose content is wider than what they show.
CLIPPED_JS = """() => [...document.querySelectorAll('.jp-Dialog-content, .jp-Dialog-content *')]
  .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
  .map(e => ({tag: e.tagName, cls: e.className, scroll: e.scrollWidth, client: e.clientWidth,
              whiteSpace: getComputedStyle(e).whiteSpace}))"""

DIRTY_JS = """() => [...document.querySelectorAll('.lm-TabBar-tab.jp-mod-dirty')]
  .map(t => t.innerText.trim())"""


def open_notebook(page, lab, path: str) -> None:
    """Open ``path`` (relative to the server's root) and wait for its kernel to be idle."""
    page.goto(lab.link(f"lab/tree/{path}?reset"))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    wait_idle(page)


def wait_idle(page, timeout: float = 120) -> None:
    """Until the kernel is idle with no cell queued (two readings in a row)."""
    deadline, calm = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        state = page.evaluate("""() => document.querySelector(
            '.jp-Notebook-ExecutionIndicator')?.dataset.status ?? 'unknown'""")
        busy = any(c["prompt"] == "[*]:" for c in cells(page))
        calm = calm + 1 if state == "idle" and not busy else 0
        if calm >= 2:
            return
        time.sleep(0.5)
    raise TimeoutError(f"the kernel is not idle after {timeout} s")


def cells(page) -> list[dict]:
    return page.evaluate(CELLS_JS)


def menu(page, top: str, item: str) -> None:
    """Click ``top`` in the menu bar, then ``item`` (enabled) in its menu."""
    page.locator(".lm-MenuBar-item", has_text=top).first.click()
    page.locator(".lm-Menu-item:not(.lm-mod-hidden):not(.lm-mod-disabled)").filter(
        has=page.locator(".lm-Menu-itemLabel", has_text=item)).first.click()


def menu_items(page, top: str) -> list[str]:
    """The items ``top``'s menu shows (hidden ones left out); the menu closed again."""
    page.locator(".lm-MenuBar-item", has_text=top).first.click()
    items = page.locator(".lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel")
    items.first.wait_for()
    labels = [t.strip() for t in items.all_inner_texts()]
    page.keyboard.press("Escape")
    return labels


def focus_notebook(page) -> None:
    """Make the notebook the current widget (menus act on it): click its first prompt."""
    page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()


def menu_bar(page) -> list[str]:
    return [t.strip() for t in page.locator(".lm-MenuBar-item").all_inner_texts()]


def run_all(page, timeout: float = 180) -> list[dict]:
    """Run > Run All Cells, then wait until every cell has run; the cells."""
    focus_notebook(page)
    menu(page, "Run", "Run All Cells")
    deadline, started = time.monotonic() + timeout, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(1)
        now = cells(page)
        if all(c["prompt"] not in ("[*]:", "[ ]:", "") for c in now):
            wait_idle(page)
            return cells(page)
        if time.monotonic() - started > 20 and all(c["prompt"] == "[ ]:" for c in now):
            raise RuntimeError("Run All Cells started nothing")
    raise TimeoutError(f"Run All did not finish in {timeout} s: {[c['prompt'] for c in now]}")


def cell_locator(page, starts_with: str):
    """The code cell whose source starts with ``starts_with``."""
    return page.locator(".jp-CodeCell").filter(
        has=page.locator(".cm-content", has_text=starts_with)).first


def replace_source(page, starts_with: str, source: str) -> None:
    """Select all of a cell's text and put ``source`` in its place, as typed (inserted
    whole, so the editor's auto-indent does not indent it twice)."""
    editor = cell_locator(page, starts_with).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(source)


def run_cell_and_next(page) -> None:
    """Shift+Enter twice: the cell being edited, then the one below it (its check)."""
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")
    wait_idle(page)
