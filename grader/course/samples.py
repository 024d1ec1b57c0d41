"""Sample submissions with the exact score each graded cell deserves.

They exercise the whole grading path (``pretraining-lab demo``, the end-to-end
test, the benchmark). Each is made from the released (student) notebook of a lesson
and its source notebook:

``correct``      every solution cell holds the source's solution: full marks;
``empty``        the release as is (stubs raise NotImplementedError): 0 everywhere;
``mistake``      correct except one exercise, taken from
                 ``solutions/<lesson>/mistakes/<name>__<mistake_id>.py`` (the whole
                 solution cell, with that catalogued mistake): 0 on that check;
``warning``      correct, but the student's function prints to stderr and raises a
                 ``UserWarning`` each time it is called: full marks (a warning never
                 costs points);
``edited_test``  a wrong answer, and the check below it replaced by ``pass``: the
                 test cell is restored and scores 0;
``tampered_tests`` a wrong answer whose test cell was deleted (restored: 0), and a
                 correct answer whose test cell was duplicated, the original moved to
                 the top of the notebook (scored once, full points);
``monkeypatch``  wrong answers plus an added cell that disables ``labkit.check`` and
                 ``labkit.record``, patches ``torch.allclose``/``torch.equal``/
                 ``Tensor.__eq__``, and writes fake evidence (zeros, and a pickle that
                 would run code): 0 everywhere.

What a mistake breaks besides its own check is decided, not guessed: an exercise
whose solution uses the mistaken one (its name appears in that solution cell,
directly or through another exercise) deserves what the trusted checker says of it
when called directly, in a separate process, on the sample's own code
(``grader.check`` on the visible cases and on the hidden cases of the student's
seed): no kernel, no evidence, no nbgrader. A mistake file may also state it with
comment lines ``# sample-expect: check_<name>=<points>``, which win.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell

KINDS = ("correct", "empty", "mistake", "warning", "edited_test", "tampered_tests", "monkeypatch")
CHECK_PREFIX = "check_"
SOLUTION_PREFIX = "ex_"
EXPECT_RE = re.compile(r"^#\s*sample-expect:\s*(\w+)\s*=\s*([0-9.]+)\s*$", re.M)


@dataclass
class Sample:
    """One sample submission of one lesson."""

    student: str
    lesson: str
    kind: str
    description: str
    notebook: NotebookNode
    #: grade_id of every autograded cell -> the points it deserves
    expected: dict[str, float] = field(default_factory=dict)

    @property
    def expected_total(self) -> float:
        return sum(self.expected.values())

    def write(self, folder: str | Path) -> Path:
        """Write as ``<folder>/<student>/<lesson>/<lesson>.ipynb`` (the import layout)."""
        path = Path(folder) / self.student / self.lesson / f"{self.lesson}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(self.notebook, str(path))
        return path


def _nbg(cell: NotebookNode) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {})


def strip_solution_markers(source: str) -> str:
    """The source's solution as a student would write it: the ``### BEGIN/END
    SOLUTION`` lines removed, the code between them kept."""
    return "\n".join(line for line in source.split("\n")
                     if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)


def test_cells(nb: NotebookNode) -> dict[str, float]:
    """grade_id -> points of every autograded cell (graded code cells that are not
    solutions), in notebook order."""
    return {_nbg(c)["grade_id"]: float(_nbg(c).get("points", 0)) for c in nb.cells
            if c.cell_type == "code" and _nbg(c).get("grade") and not _nbg(c).get("solution")}


def solution_sources(source_nb: NotebookNode) -> dict[str, str]:
    """grade_id -> the solution code of every solution cell of the source notebook."""
    return {_nbg(c)["grade_id"]: strip_solution_markers(c.source) for c in source_nb.cells
            if _nbg(c).get("solution")}


def fill(release_nb: NotebookNode, sources: dict[str, str]) -> NotebookNode:
    """A copy of the release notebook with the given cells' sources replaced."""
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        gid = _nbg(cell).get("grade_id")
        if gid in sources:
            cell.source = sources[gid]
    return nb


def _exercise_kind(lesson: str, name: str) -> str:
    """"function", "class", "answer" or "unknown" for a registered exercise."""
    from ..checks.registry import exercises
    from ..labkit.answers import AnswerHarness
    from ..labkit.harness import ModuleHarness

    ex = exercises().get(f"{lesson}/{name}")
    if ex is None:
        return "unknown"
    if isinstance(ex.harness, AnswerHarness):
        return "answer"
    if isinstance(ex.harness, ModuleHarness):
        return "class"
    return "function"


@dataclass
class MistakeFile:
    name: str
    mistake_id: str
    source: str
    also: dict[str, float]

    @classmethod
    def read(cls, path: Path) -> MistakeFile:
        name, sep, mistake_id = path.stem.partition("__")
        if not sep or not name or not mistake_id:
            raise ValueError(f"{path}: a mistake file is named <exercise>__<mistake_id>.py")
        text = path.read_text(encoding="utf-8")
        also = {gid: float(pts) for gid, pts in EXPECT_RE.findall(text)}
        return cls(name, mistake_id, text.rstrip("\n"), also)


def mistake_files(folder: str | Path) -> list[MistakeFile]:
    folder = Path(folder)
    return [MistakeFile.read(p) for p in sorted(folder.glob("*__*.py"))] if folder.is_dir() else []


# --- what a mistake breaks elsewhere ---------------------------------------------------

def _names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | \
        {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}


def dependents(name: str, solutions: dict[str, str], names: list[str]) -> list[str]:
    """Exercises whose solution uses ``name``, directly or through another exercise."""
    uses = {n: _names(solutions.get(SOLUTION_PREFIX + n, "")) - {n} for n in names}
    found: set[str] = set()
    todo = [name]
    while todo:
        cur = todo.pop()
        for n in names:
            if n not in found and n != name and cur in uses[n]:
                found.add(n)
                todo.append(n)
    return [n for n in names if n in found]


def prelude(source_nb: NotebookNode) -> str:
    """The imports and constants of the notebook's own (non-exercise) code cells:
    the namespace solution cells expect."""
    keep: list[str] = []
    for cell in source_nb.cells:
        meta = _nbg(cell)
        if cell.cell_type != "code" or meta.get("solution") or meta.get("grade"):
            continue
        code = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln
                         for ln in cell.source.split("\n"))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in tree.body:
            literal = isinstance(node, ast.Assign) and _is_literal(node.value)
            if isinstance(node, (ast.Import, ast.ImportFrom)) or literal:
                keep.append(ast.unparse(node))
    return "\n".join(keep)


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


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


def _student(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(parts)).strip("-")


MONKEYPATCH = '''# A student who tries to fake the checks instead of solving the exercises.
import os
import torch
import labkit
import labkit.notebook

_nothing = lambda *args, **kwargs: None  # noqa: E731
labkit.check = labkit.record = _nothing
labkit.notebook.check = labkit.notebook.record = _nothing
torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.Tensor.__eq__ = lambda self, other: True

class _Evil:
    def __reduce__(self):
        return (os.system, ("echo the grader ran my code",))

os.makedirs(".lab_evidence", exist_ok=True)
with open(".lab_seed.json", "w") as fh:
    fh.write('{"seed": 1}')
for _name in NAMES:
    torch.save({"visible:fake": {"out": torch.zeros(2, 2)}}, f".lab_evidence/{_name}.pt")
torch.save({"visible:fake": {"out": _Evil()}}, f".lab_evidence/{NAMES[0]}.pt")
'''

WARNING_WRAPPER = '''

# This student's function also prints to stderr and warns on every call.
import functools as _functools
import sys as _sys
import warnings as _warnings

_quiet_{name} = {name}


@_functools.wraps(_quiet_{name})
def {name}(*args, **kwargs):
    print("debug: {name} called", file=_sys.stderr)
    _warnings.warn("a harmless warning from {name}", UserWarning, stacklevel=2)
    return _quiet_{name}(*args, **kwargs)


_warnings.warn("a harmless warning while defining {name}", UserWarning, stacklevel=1)'''


def make_samples(lesson: str, source_nb: NotebookNode, release_nb: NotebookNode,
                 mistakes_dir: str | Path | None = None, *,
                 kinds: Iterable[str] = KINDS, max_mistakes: int | None = None,
                 lesson_dir: str | Path | None = None,
                 seed_for: Callable[[str], int] | None = None) -> list[Sample]:
    """The sample submissions of one lesson (see the module docstring).

    ``lesson_dir`` (the lesson's folder, with ``labkit/`` and ``blocks/``) and
    ``seed_for`` (student -> hidden-test seed) are needed when a mistake can break
    another exercise: its score is then decided by the trusted checker."""
    kinds = list(kinds)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown sample kinds {sorted(unknown)}; expected some of {KINDS}")
    if not kinds:
        return []
    checks = test_cells(release_nb)
    if not checks:
        raise ValueError(f"{lesson}: the notebook has no autograded test cells")
    full = dict(checks)
    zero = dict.fromkeys(checks, 0.0)
    solutions = solution_sources(source_nb)
    names = [gid[len(CHECK_PREFIX):] for gid in checks if gid.startswith(CHECK_PREFIX)]
    mistakes = mistake_files(mistakes_dir) if mistakes_dir else []
    for m in mistakes:
        if SOLUTION_PREFIX + m.name not in solutions:
            raise ValueError(f"{lesson}: mistake file for {m.name!r} but the notebook has no "
                             f"solution cell {SOLUTION_PREFIX + m.name!r}")
        if CHECK_PREFIX + m.name not in checks:
            raise ValueError(f"{lesson}: mistake file for {m.name!r} but the notebook has no "
                             f"test cell {CHECK_PREFIX + m.name!r}")

    order = [_nbg(c)["grade_id"] for c in source_nb.cells if _nbg(c).get("solution")]
    pending: list[tuple[Sample, dict[str, str], list[str]]] = []

    def expect_mistake(m: MistakeFile) -> dict[str, float]:
        exp = dict(full)
        exp[CHECK_PREFIX + m.name] = 0.0
        for gid, pts in m.also.items():
            if gid not in exp:
                raise ValueError(f"{lesson}: {m.name}__{m.mistake_id} expects unknown cell {gid}")
            exp[gid] = pts
        return exp

    def decide_dependents(sample: Sample, m: MistakeFile, code: dict[str, str]) -> Sample:
        """Leave the checks that use the mistaken exercise to the trusted checker."""
        deps = [n for n in dependents(m.name, solutions, names) if CHECK_PREFIX + n not in m.also]
        if deps:
            pending.append((sample, code, deps))
        return sample

    out: list[Sample] = []
    if "correct" in kinds:
        out.append(Sample(_student("correct"), lesson, "correct",
                          "the source's solutions in every solution cell",
                          fill(release_nb, solutions), full))
    if "empty" in kinds:
        out.append(Sample(_student("empty"), lesson, "empty", "the release as is",
                          copy.deepcopy(release_nb), zero))
    if "mistake" in kinds:
        for m in mistakes[:max_mistakes]:
            code = {**solutions, SOLUTION_PREFIX + m.name: m.source}
            out.append(decide_dependents(Sample(
                _student("mistake", m.name, m.mistake_id), lesson, "mistake",
                f"{m.name} with the catalogued mistake {m.mistake_id}", fill(release_nb, code),
                expect_mistake(m)), m, code))
    if "warning" in kinds:
        fn = next((n for n in names if _exercise_kind(lesson, n) == "function"
                   and SOLUTION_PREFIX + n in solutions), None)
        if fn is None:
            raise ValueError(f"{lesson}: no function exercise to attach a warning to")
        code = {**solutions}
        code[SOLUTION_PREFIX + fn] = solutions[SOLUTION_PREFIX + fn] + WARNING_WRAPPER.format(name=fn)
        out.append(Sample(_student("warning"), lesson, "warning",
                          f"correct; {fn} warns and prints to stderr on every call",
                          fill(release_nb, code), full))
    if "edited_test" in kinds:
        target = mistakes[0] if mistakes else None
        name = target.name if target else names[0]
        code = {**solutions}
        if target is not None:
            code[SOLUTION_PREFIX + name] = target.source
            expected = expect_mistake(target)
            how = f"{name} with mistake {target.mistake_id}"
        else:
            code.pop(SOLUTION_PREFIX + name, None)  # the stub stays
            expected = {**full, CHECK_PREFIX + name: 0.0}
            how = f"{name} left as the stub"
        nb = fill(release_nb, code)
        for cell in nb.cells:
            if _nbg(cell).get("grade_id") == CHECK_PREFIX + name:
                cell.source = "pass  # the student replaced the check"
        sample = Sample(_student("edited_test"), lesson, "edited_test",
                        f"{how}, and its check replaced by `pass`", nb, expected)
        out.append(decide_dependents(sample, target, code) if target else sample)
    if "tampered_tests" in kinds and len(names) >= 2:
        target = mistakes[0] if mistakes else None
        wrong = target.name if target else names[0]
        right = next(n for n in names if n != wrong)
        code = {**solutions}
        if target is not None:
            code[SOLUTION_PREFIX + wrong] = target.source
            expected = expect_mistake(target)
        else:
            code.pop(SOLUTION_PREFIX + wrong, None)
            expected = {**full, CHECK_PREFIX + wrong: 0.0}
        nb = fill(release_nb, code)
        cells = [c for c in nb.cells if _nbg(c).get("grade_id") != CHECK_PREFIX + wrong]
        i = next(i for i, c in enumerate(cells) if _nbg(c).get("grade_id") == CHECK_PREFIX + right)
        original = cells.pop(i)
        duplicate = copy.deepcopy(original)
        if "id" in duplicate:
            duplicate["id"] = f"{duplicate['id'][:58]}-copy"
        cells.insert(i, duplicate)
        cells.insert(0, original)
        nb.cells = cells
        sample = Sample(_student("tampered_tests"), lesson, "tampered_tests",
                        f"check of wrong {wrong} deleted; check of {right} duplicated and "
                        "moved to the top", nb, expected)
        out.append(decide_dependents(sample, target, code) if target else sample)
    if "monkeypatch" in kinds:
        wrong = {SOLUTION_PREFIX + m.name: m.source for m in reversed(mistakes)}
        nb = fill(release_nb, wrong)
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        patch = MONKEYPATCH.replace("NAMES[0]", repr(names[0])).replace("NAMES", repr(names))
        nb.cells.insert(first_code + 1, new_code_cell(patch))
        out.append(Sample(_student("monkeypatch"), lesson, "monkeypatch",
                          "wrong answers, checks disabled, torch patched, fake evidence", nb,
                          zero))
    if pending:
        _decide(lesson, source_nb, lesson_dir, seed_for, pending, solutions, order)
    return out


def _decide(lesson: str, source_nb: NotebookNode, lesson_dir: str | Path | None,
            seed_for: Callable[[str], int] | None,
            pending: list[tuple[Sample, dict[str, str], list[str]]],
            solutions: dict[str, str], order: list[str]) -> None:
    """Set the expected points of the checks a mistake may break, from the trusted
    checker; first make sure it passes the correct solutions (else it could not run
    the lesson's cells on their own, and says so)."""
    if lesson_dir is None or seed_for is None:
        raise ValueError(f"{lesson}: mistakes that other exercises use need lesson_dir and "
                         "seed_for (or '# sample-expect:' lines in the mistake files)")
    checked = sorted({n for _, _, deps in pending for n in deps})
    cases = [{"id": "correct", "cells": [solutions[g] for g in order], "check": checked,
              "seed": seed_for("correct")}]
    cases += [{"id": str(i), "cells": [code[g] for g in order if g in code], "check": deps,
               "seed": seed_for(sample.student)} for i, (sample, code, deps) in enumerate(pending)]
    verdicts = trusted_verdicts(lesson, lesson_dir, source_nb, cases)
    broken = [n for n, ok in verdicts["correct"].items() if not ok]
    if broken:
        raise RuntimeError(f"{lesson}: the trusted checker fails the source's own solutions of "
                           f"{broken} when run outside the notebook; state what the mistakes "
                           "break with '# sample-expect: check_<name>=<points>' lines")
    for i, (sample, _, deps) in enumerate(pending):
        for name in deps:
            gid = CHECK_PREFIX + name
            sample.expected[gid] = sample.expected[gid] if verdicts[str(i)][name] else 0.0


def lesson_samples(source_dir: str | Path, release_dir: str | Path, lesson: str,
                   mistakes_dir: str | Path | None = None, **kwargs: Any) -> list[Sample]:
    """:func:`make_samples` from a course's ``source/<lesson>`` and ``release/<lesson>``."""
    source_nb = nbformat.read(str(Path(source_dir) / f"{lesson}.ipynb"), as_version=4)
    release_nb = nbformat.read(str(Path(release_dir) / f"{lesson}.ipynb"), as_version=4)
    kwargs.setdefault("lesson_dir", source_dir)
    return make_samples(lesson, source_nb, release_nb, mistakes_dir, **kwargs)
