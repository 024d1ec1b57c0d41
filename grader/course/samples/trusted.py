"""The trusted checker's verdicts on a sample's own code, run in a fresh
interpreter (``grader.check`` on the visible cases and on the hidden cases of the
student's seed: no kernel, no evidence, no nbgrader), and the expected points they
decide for the exercises a mistake may break."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from nbformat import NotebookNode

from ..paths import CHECK_PREFIX
from .notebook_cells import prelude
from .sample import Sample

ORACLE = """
import contextlib, json, sys, warnings
spec = json.load(open(sys.argv[1]))
sys.path.insert(0, spec["lesson_dir"])
warnings.simplefilter("ignore")
import grader
results = {}
for case in spec["cases"]:
    ns = {"__name__": "__sample__"}
    with contextlib.redirect_stdout(sys.stderr):
        for src in [spec["prelude"], *case["cells"]]:
            try:
                exec(compile(src, "<sample cell>", "exec"), ns)
            except Exception as exc:
                print("sample cell raised", type(exc).__name__, exc, file=sys.stderr)
        out = {}
        for name in case["check"]:
            eid = spec["lesson"] + "/" + name
            cand = ns.get(name)
            out[name] = (grader.check(eid, cand).passed
                         and grader.check(eid, cand, hidden=True, seed=case["seed"]).passed)
    results[case["id"]] = out
json.dump(results, open(sys.argv[2], "w"))
"""


class Pending(NamedTuple):
    """A sample whose checks ``deps`` are left to the trusted checker, run on ``code``
    (grade_id -> source of its solution cells)."""

    sample: Sample
    code: dict[str, str]
    deps: list[str]


def trusted_verdicts(lesson: str, lesson_dir: str | Path, source_nb: NotebookNode,
                     cases: list[dict[str, Any]]) -> dict[str, dict[str, bool]]:
    """Run :data:`ORACLE` in a fresh interpreter: for each case ``{"id", "cells"
    (solution sources in notebook order), "check" (exercise names), "seed"}``,
    whether ``grader.check`` passes each named exercise on the visible cases and on
    the hidden cases of ``seed``."""
    if not cases:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        spec, result = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec.write_text(json.dumps({"lesson": lesson, "lesson_dir": str(Path(lesson_dir).resolve()),
                                    "prelude": prelude(source_nb), "cases": cases}))
        env = {**os.environ, "MPLBACKEND": "Agg"}
        done = subprocess.run([sys.executable, "-c", ORACLE, str(spec), str(result)], cwd=tmp,
                              env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"{lesson}: the trusted check of the samples failed:\n"
                               f"{done.stderr[-3000:]}")
        return json.loads(result.read_text())


def decide_pending(lesson: str, source_nb: NotebookNode, lesson_dir: str | Path | None,
                   seed_for: Callable[[str], int] | None, pending: list[Pending],
                   solutions: dict[str, str], order: list[str]) -> None:
    """Set the expected points of the checks a mistake may break, from the trusted
    checker; first make sure it passes the correct solutions (else it could not run
    the lesson's cells on their own, and says so)."""
    if lesson_dir is None or seed_for is None:
        raise ValueError(f"{lesson}: mistakes that other exercises use need lesson_dir and "
                         "seed_for (or '# sample-expect:' lines in the mistake files)")
    checked = sorted({n for p in pending for n in p.deps})
    cases = [{"id": "correct", "cells": [solutions[g] for g in order], "check": checked,
              "seed": seed_for("correct")}]
    cases += [{"id": str(i), "cells": [p.code[g] for g in order if g in p.code],
               "check": p.deps, "seed": seed_for(p.sample.student)}
              for i, p in enumerate(pending)]
    verdicts = trusted_verdicts(lesson, lesson_dir, source_nb, cases)
    broken = [n for n, ok in verdicts["correct"].items() if not ok]
    if broken:
        raise RuntimeError(f"{lesson}: the trusted checker fails the source's own solutions of "
                           f"{broken} when run outside the notebook; state what the mistakes "
                           "break with '# sample-expect: check_<name>=<points>' lines")
    for i, p in enumerate(pending):
        for name in p.deps:
            gid = CHECK_PREFIX + name
            p.sample.expected[gid] = p.sample.expected[gid] if verdicts[str(i)][name] else 0.0
