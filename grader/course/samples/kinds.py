"""One maker per kind of sample (see the package docstring for what each deserves):
each takes the lesson's :class:`~.lesson.LessonParts` and returns its samples."""

from __future__ import annotations

import copy
from collections.abc import Callable

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell

from ...checks.registry import exercises
from ...labkit.answers import AnswerHarness
from ...labkit.harness import ModuleHarness
from ..paths import CHECK_PREFIX
from .lesson import LessonParts
from .mistakes import MistakeFile
from .notebook_cells import fill, nbgrader_meta
from .sample import SOLUTION_PREFIX, Sample, student_id

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


def exercise_kind(lesson: str, name: str) -> str:
    """"function", "class", "answer" or "unknown" for a registered exercise."""
    ex = exercises().get(f"{lesson}/{name}")
    if ex is None:
        return "unknown"
    if isinstance(ex.harness, AnswerHarness):
        return "answer"
    if isinstance(ex.harness, ModuleHarness):
        return "class"
    return "function"


def correct(parts: LessonParts, max_mistakes: int | None) -> list[Sample]:
    """The source's solutions in every solution cell."""
    return [Sample(student_id("correct"), parts.lesson, "correct",
                   "the source's solutions in every solution cell",
                   fill(parts.release_nb, parts.solutions), parts.full)]


def empty(parts: LessonParts, max_mistakes: int | None) -> list[Sample]:
    """The release as is."""
    return [Sample(student_id("empty"), parts.lesson, "empty", "the release as is",
                   copy.deepcopy(parts.release_nb), parts.zero)]


def mistake(parts: LessonParts, max_mistakes: int | None) -> list[Sample]:
    """One sample per mistake file (the first ``max_mistakes`` of them)."""
    out = []
    for m in parts.mistakes[:max_mistakes]:
        code = {**parts.solutions, SOLUTION_PREFIX + m.name: m.source}
        sample = Sample(student_id("mistake", m.name, m.mistake_id), parts.lesson, "mistake",
                        f"{m.name} with the catalogued mistake {m.mistake_id}",
                        fill(parts.release_nb, code), parts.expect_mistake(m))
        out.append(parts.defer_dependents(sample, m, code))
    return out


def warning(parts: LessonParts, max_mistakes: int | None) -> list[Sample]:
    """Correct, with the first function exercise wrapped to warn and print to stderr."""
    fn = next((n for n in parts.names if exercise_kind(parts.lesson, n) == "function"
               and SOLUTION_PREFIX + n in parts.solutions), None)
    if fn is None:
        raise ValueError(f"{parts.lesson}: no function exercise to attach a warning to")
    code = {**parts.solutions}
    code[SOLUTION_PREFIX + fn] = parts.solutions[SOLUTION_PREFIX + fn] + \
        WARNING_WRAPPER.format(name=fn)
    return [Sample(student_id("warning"), parts.lesson, "warning",
                   f"correct; {fn} warns and prints to stderr on every call",
                   fill(parts.release_nb, code), parts.full)]


def _wrong_answer(parts: LessonParts, target: MistakeFile | None,
                  name: str) -> tuple[dict[str, str], dict[str, float]]:
    """The solution cells with ``name`` wrong (``target``'s mistake, else the stub
    left in place) and the points they deserve."""
    code = {**parts.solutions}
    if target is not None:
        code[SOLUTION_PREFIX + name] = target.source
        return code, parts.expect_mistake(target)
    code.pop(SOLUTION_PREFIX + name, None)  # the stub stays
    return code, {**parts.full, CHECK_PREFIX + name: 0.0}


def _finish(parts: LessonParts, sample: Sample, target: MistakeFile | None,
            code: dict[str, str]) -> list[Sample]:
    return [parts.defer_dependents(sample, target, code) if target else sample]


def edited_test(parts: LessonParts, max_mistakes: int | None) -> list[Sample]:
    """A wrong answer (the first mistake file, else a stub) and its check replaced
    by ``pass``."""
    target = parts.mistakes[0] if parts.mistakes else None
    name = target.name if target else parts.names[0]
    code, expected = _wrong_answer(parts, target, name)
    how = f"{name} with mistake {target.mistake_id}" if target else f"{name} left as the stub"
    nb = fill(parts.release_nb, code)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == CHECK_PREFIX + name:
            cell.source = "pass  # the student replaced the check"
    sample = Sample(student_id("edited_test"), parts.lesson, "edited_test",
                    f"{how}, and its check replaced by `pass`", nb, expected)
    return _finish(parts, sample, target, code)


def _tamper(nb: NotebookNode, wrong: str, right: str) -> None:
    """Delete the check of ``wrong``; duplicate the check of ``right`` in place and
    move the original to the top."""
    cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") != CHECK_PREFIX + wrong]
    i = next(i for i, c in enumerate(cells)
             if nbgrader_meta(c).get("grade_id") == CHECK_PREFIX + right)
    original = cells.pop(i)
    duplicate = copy.deepcopy(original)
    if "id" in duplicate:
        duplicate["id"] = f"{duplicate['id'][:58]}-copy"
    cells.insert(i, duplicate)
    cells.insert(0, original)
    nb.cells = cells


def tampered_tests(parts: LessonParts, max_mistakes: int | None) -> list[Sample]:
    """A wrong answer whose check is deleted, and another exercise's check duplicated
    and moved to the top; none if the lesson has fewer than two exercises."""
    if len(parts.names) < 2:
        return []
    target = parts.mistakes[0] if parts.mistakes else None
    wrong = target.name if target else parts.names[0]
    right = next(n for n in parts.names if n != wrong)
    code, expected = _wrong_answer(parts, target, wrong)
    nb = fill(parts.release_nb, code)
    _tamper(nb, wrong, right)
    sample = Sample(student_id("tampered_tests"), parts.lesson, "tampered_tests",
                    f"check of wrong {wrong} deleted; check of {right} duplicated and "
                    "moved to the top", nb, expected)
    return _finish(parts, sample, target, code)


def monkeypatch(parts: LessonParts, max_mistakes: int | None) -> list[Sample]:
    """Wrong answers and a cell that disables the checks, patches torch and writes
    fake evidence."""
    wrong = {SOLUTION_PREFIX + m.name: m.source for m in reversed(parts.mistakes)}
    nb = fill(parts.release_nb, wrong)
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    patch = MONKEYPATCH.replace("NAMES[0]", repr(parts.names[0])) \
        .replace("NAMES", repr(parts.names))
    nb.cells.insert(first_code + 1, new_code_cell(patch))
    return [Sample(student_id("monkeypatch"), parts.lesson, "monkeypatch",
                   "wrong answers, checks disabled, torch patched, fake evidence", nb,
                   parts.zero)]


#: kind -> its maker, in the order of :data:`~.sample.KINDS`
MAKERS: dict[str, Callable[[LessonParts, int | None], list[Sample]]] = {
    "correct": correct, "empty": empty, "mistake": mistake, "warning": warning,
    "edited_test": edited_test, "tampered_tests": tampered_tests, "monkeypatch": monkeypatch,
}
