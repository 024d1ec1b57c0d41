"""Widget reply benchmark: how often a cell that shows an ``ipywidgets.interact`` waits
for its time limit although its kernel has answered, with nbclient's own Output widget
mimic and with ``grader.autograde.output_widget.ReplySafeOutputWidget``.

It writes a notebook of ``--cells`` ``interact`` cells (each clears its Output widget
and prints, as the lessons' explorers do) and runs it with plain nbclient and
ipykernel, no sandbox and no grader, alternating the two mimics, ``--runs`` times
each and ``--parallel`` notebooks at once (a hang needs a busy machine; two at a time
on two cores is enough). A cell is counted as hung when it takes longer than half its
time limit (``--timeout``, 10 s): an ``interact`` cell takes milliseconds. Prints, per
mimic, the cells run, the hung cells and the wall seconds; asserts nothing.

    .venv/bin/python benchmarks/widget_reply.py [--runs 4] [--cells 40] [--parallel 2]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from grader.autograde.output_widget import use_reply_safe_output_widget

EXPLORE = """import ipywidgets as widgets

def explore(text, temperature, k):
    print(text, temperature, k)
"""
INTERACT = ("widgets.interact(explore, text=widgets.Text(value='the cat'), "
            "temperature=widgets.FloatSlider(min=0.1, max=2.0, value=1.0), "
            "k=widgets.IntSlider(min=0, max=10, value=0));")


class TimedClient(NotebookClient):
    """nbclient, recording each cell's wall time; ``safe`` picks the mimic."""

    safe = False

    def on_comm_open_jupyter_widget(self, msg: dict) -> object:
        if self.safe:
            use_reply_safe_output_widget(self)
        return super().on_comm_open_jupyter_widget(msg)

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        start = time.perf_counter()
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        finally:
            self.seconds.append(time.perf_counter() - start)


async def run_one(path: Path, safe: bool, timeout: int) -> list[float]:
    """Each cell's wall seconds for one run of the notebook."""
    client = TimedClient(nbformat.read(path, as_version=4), timeout=timeout,
                         kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.safe, client.seconds = safe, []
    await client.async_execute()
    return client.seconds[1:]  # the first cell only defines explore


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=4, help="runs of the notebook per mimic")
    parser.add_argument("--cells", type=int, default=40, help="interact cells in the notebook")
    parser.add_argument("--parallel", type=int, default=2, help="notebooks run at once")
    parser.add_argument("--timeout", type=int, default=10, help="each cell's time limit, s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "interact.ipynb"
        cells = [new_code_cell(EXPLORE)] + [new_code_cell(INTERACT) for _ in range(args.cells)]
        nbformat.write(new_notebook(cells=cells), path)
        totals = {False: [0, 0, 0.0], True: [0, 0, 0.0]}  # cells, hung, wall s
        for i in range(args.runs * 2):
            safe = bool(i % 2)
            start = time.perf_counter()
            runs = await asyncio.gather(*(run_one(path, safe, args.timeout)
                                          for _ in range(args.parallel)))
            seconds = [s for run in runs for s in run]
            totals[safe][0] += len(seconds)
            totals[safe][1] += sum(s > args.timeout / 2 for s in seconds)
            totals[safe][2] += time.perf_counter() - start
    print(f"{args.runs} rounds of {args.parallel} notebooks at once, {args.cells} interact "
          f"cells each, cell limit {args.timeout} s")
    print(f"{'Output widget mimic':<36}{'cells':>8}{'hung':>8}{'wall s':>10}")
    for safe, name in ((False, "nbclient.output_widget.OutputWidget"),
                       (True, "ReplySafeOutputWidget")):
        cells, hung, wall = totals[safe]
        print(f"{name:<36}{cells:>8}{hung:>8}{wall:>10.1f}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
