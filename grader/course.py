"""The course directory: building it from ``solutions/``, releasing lessons with
nbgrader, and the committed student versions in ``lessons/``.

A course directory has nbgrader's layout::

    <course>/
      nbgrader_config.py     the project's configuration (grader/nbgrader_config.py)
      .lab_secret            random, made at the first build; derives each student's
                             hidden-test seed (never inside a student-visible folder)
      gradebook.db
      source/<lesson>/       <lesson>.ipynb (instructor version), labkit/, fixtures.pt,
                             blocks/ (provided building blocks, some lessons)
      release/<lesson>/      the student version (nbgrader generate_assignment)
      submitted/<student>/<lesson>/
      autograded/<student>/<lesson>/
      feedback/<student>/<lesson>/
      lab_verdicts/<lesson>/<student>.json   the trusted verdicts of the last autograde

``build_course`` (re)writes ``source/`` and the configuration only; it never
touches submissions, grades or the secret, so rebuilding an existing course is
safe. ``lessons/<lesson>/`` in the repository is the committed copy of
``release/<lesson>/``; :func:`compare_lesson_dirs` tells when it is out of date.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS_DIR = PROJECT_ROOT / "solutions"
LESSONS_DIR = PROJECT_ROOT / "lessons"
DEFAULT_COURSE_DIR = PROJECT_ROOT / "build" / "course"
CONFIG_TEMPLATE = Path(__file__).resolve().parent / "nbgrader_config.py"
LABKIT_DIR = Path(__file__).resolve().parent / "labkit"

COURSE_ID = "pretraining-lab"
CONFIG_FILE = "nbgrader_config.py"
SECRET_FILE = ".lab_secret"
VERDICTS_DIR = "lab_verdicts"
FIXTURES_FILE = "fixtures.pt"
#: The log level of nbgrader's converters (the CLI's --verbose sets "INFO").
LOG_LEVEL = "ERROR"
#: Files of a solutions folder that never go into the course.
NOT_SHIPPED = ("mistakes", "blocks.txt", "__pycache__", ".ipynb_checkpoints", "*.pyc",
               ".lab_evidence", ".lab_seed.json")
BLOCKS_FILE = "blocks.txt"

#: Provided building blocks per lesson: reference modules shipped as ``blocks/``.
#: Their reference imports must be listed too (private helpers such as
#: ``_checks`` are added automatically). Never a lesson's own solution modules.
#: A lesson may instead list them in ``solutions/<lesson>/blocks.txt`` (one module a
#: line, ``reference.masks`` or ``masks``; ``#`` comments), which then wins.
BLOCKS: dict[str, tuple[str, ...]] = {
    "02_attention": (),
    "05_masked_lm": ("masks", "attention", "embeddings", "layers", "tokenizer", "data", "training"),
}

#: The reference modules each lesson asks students to write: never shipped with
#: that lesson (later lessons may get them as blocks).
SOLUTION_MODULES: dict[str, tuple[str, ...]] = {
    "01_rnn_seq2seq": ("rnn",),
    "02_attention": ("attention", "masks"),
    "03_transformer_encoder": ("embeddings", "layers"),
    # The encoder half of reference.layers ships; masks.causal_padding_mask is this
    # lesson's decoder_self_mask.
    "04_transformer_decoder": ("layers.decoder", "models", "masks"),
    "05_masked_lm": ("mlm", "models"),
    "06_denoising": ("denoising",),  # the EncoderDecoder of reference.models is a provided block
    "07_objective": ("objectives", "training"),  # training.train_step is an exercise
    "08_finetuning": ("models.classifier",),  # the MaskedLM of lesson 05 ships
}


# --- lessons and seeds ------------------------------------------------------------------

def available_lessons(solutions_dir: str | Path = SOLUTIONS_DIR) -> list[str]:
    """Lessons with a source notebook ``solutions/<lesson>/<lesson>.ipynb``, in course order."""
    root = Path(solutions_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / f"{p.name}.ipynb").is_file())


def lesson_blocks(lesson: str, solutions_dir: str | Path = SOLUTIONS_DIR) -> tuple[str, ...]:
    """The reference modules shipped as ``blocks/`` with ``lesson``."""
    listing = Path(solutions_dir) / lesson / BLOCKS_FILE
    if not listing.is_file():
        return BLOCKS.get(lesson, ())
    names = []
    for line in listing.read_text().splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name.removeprefix("reference."))
    return tuple(names)


def student_seed(secret: str, student: str, lesson: str) -> int:
    """The hidden-test seed of one student's lesson: an HMAC of the course secret,
    so students cannot compute another's (or their own, before grading)."""
    digest = hmac.new(secret.encode(), f"{lesson}\x00{student}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def read_secret(path: str | Path) -> str:
    path = Path(path)
    try:
        secret = path.read_text().strip()
    except FileNotFoundError:
        raise FileNotFoundError(f"no course secret at {path}: build the course first "
                                "(pretraining-lab build)") from None
    if len(secret) < 32:
        raise ValueError(f"the course secret in {path} is too short")
    return secret


# --- the course directory ---------------------------------------------------------------

@dataclass(frozen=True)
class Course:
    """A course directory (nbgrader layout) and the nbgrader API over it."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())

    source = property(lambda self: self.root / "source")
    release_dir = property(lambda self: self.root / "release")
    submitted = property(lambda self: self.root / "submitted")
    autograded = property(lambda self: self.root / "autograded")
    feedback = property(lambda self: self.root / "feedback")
    verdicts = property(lambda self: self.root / VERDICTS_DIR)
    db_path = property(lambda self: self.root / "gradebook.db")
    config_path = property(lambda self: self.root / CONFIG_FILE)
    secret_path = property(lambda self: self.root / SECRET_FILE)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def exists(self) -> bool:
        return self.config_path.is_file() and self.secret_path.is_file()

    def require(self) -> Course:
        if not self.exists():
            raise FileNotFoundError(f"{self.root} is not a built course (no {CONFIG_FILE} or "
                                    f"{SECRET_FILE}); run: pretraining-lab build --course {self.root}")
        return self

    def lessons(self) -> list[str]:
        """Lessons in ``source/``."""
        if not self.source.is_dir():
            return []
        return sorted(p.name for p in self.source.iterdir() if (p / f"{p.name}.ipynb").is_file())

    def released(self) -> list[str]:
        if not self.release_dir.is_dir():
            return []
        return sorted(p.name for p in self.release_dir.iterdir() if (p / f"{p.name}.ipynb").is_file())

    def submissions(self, students: Sequence[str] = (), lessons: Sequence[str] = ()
                    ) -> list[tuple[str, str]]:
        """(student, lesson) pairs in ``submitted/``, optionally filtered."""
        found = []
        if self.submitted.is_dir():
            for sdir in sorted(self.submitted.iterdir()):
                if not sdir.is_dir() or (students and sdir.name not in students):
                    continue
                for ldir in sorted(sdir.iterdir()):
                    if ldir.is_dir() and (not lessons or ldir.name in lessons) \
                            and (ldir / f"{ldir.name}.ipynb").is_file():
                        found.append((sdir.name, ldir.name))
        return found

    def seed(self, student: str, lesson: str) -> int:
        return student_seed(read_secret(self.secret_path), student, lesson)

    def config(self, *, stock: bool = False, log_level: str = "WARN") -> Any:
        """The traitlets Config nbgrader runs with: the course's ``nbgrader_config.py``
        (or, with ``stock=True``, nbgrader's defaults, for comparisons)."""
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        cfg = Config()
        if not stock:
            cfg.merge(PyFileConfigLoader(CONFIG_FILE, path=str(self.root)).load_config())
        cfg.CourseDirectory.root = str(self.root)
        cfg.CourseDirectory.course_id = COURSE_ID
        # No exchange is used: instructors collect with `pretraining-lab import`.
        cfg.Exchange.root = str(self.root / ".exchange")
        cfg.NbGraderAPI.log_level = log_level
        return cfg

    def api(self, *, stock: bool = False, log_level: str | None = None) -> Any:
        """nbgrader's own Python API (``nbgrader.apps.NbGraderAPI``) on this course."""
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        _tools_on_path()
        cfg = self.config(stock=stock, log_level=log_level or LOG_LEVEL)
        coursedir = CourseDirectory(config=cfg)
        return NbGraderAPI(coursedir=coursedir, config=cfg)


def _tools_on_path() -> None:
    """nbgrader runs the ``alembic`` command of its environment by name: make sure
    this interpreter's scripts folder is on PATH even when the venv is not activated."""
    scripts = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if scripts not in path:
        os.environ["PATH"] = os.pathsep.join([scripts, *path])


def build_course(root: str | Path = DEFAULT_COURSE_DIR, lessons: Iterable[str] | None = None, *,
                 solutions_dir: str | Path = SOLUTIONS_DIR) -> Course:
    """Create or refresh the course at ``root``: configuration, secret (kept if
    present) and ``source/<lesson>/`` for each lesson (default: all in ``solutions/``)."""
    course = Course(Path(root))
    solutions_dir = Path(solutions_dir)
    wanted = list(lessons) if lessons is not None else available_lessons(solutions_dir)
    unknown = [x for x in wanted if not (solutions_dir / x / f"{x}.ipynb").is_file()]
    if unknown:
        raise ValueError(f"no source notebook for {unknown} in {solutions_dir} "
                         f"(available: {available_lessons(solutions_dir)})")
    for sub in ("source", "release", "submitted", "autograded", "feedback", VERDICTS_DIR):
        (course.root / sub).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CONFIG_TEMPLATE, course.config_path)
    if not course.secret_path.exists():
        fd = os.open(course.secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    for lesson in wanted:
        build_lesson_source(course, lesson, solutions_dir)
    return course


def build_lesson_source(course: Course, lesson: str, solutions_dir: str | Path = SOLUTIONS_DIR
                        ) -> Path:
    """Write ``source/<lesson>/``: the source notebook, any data files of the
    lesson, ``labkit/``, ``fixtures.pt`` and, if the lesson has them, ``blocks/``."""
    from .blocks import copy_blocks

    src = Path(solutions_dir) / lesson
    check_display_cells(src / f"{lesson}.ipynb")
    dest = course.source / lesson
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
    shutil.copytree(LABKIT_DIR, dest / "labkit", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    write_lesson_fixtures(lesson, dest / FIXTURES_FILE)
    blocks = lesson_blocks(lesson, solutions_dir)
    used = notebook_block_imports(dest / f"{lesson}.ipynb")
    # The notebook's imports are compared by top-level module: a block may be a sub-module
    # such as layers.encoder (shipped without layers.decoder).
    shipped = {name.split(".")[0] for name in blocks}
    if used - shipped:
        raise ValueError(f"{lesson}.ipynb imports blocks {sorted(used - shipped)} that the lesson "
                         f"does not ship; add them to {src / BLOCKS_FILE} (or "
                         f"grader.course.BLOCKS[{lesson!r}])")
    if blocks:
        copy_blocks(blocks, dest / "blocks", withheld=SOLUTION_MODULES.get(lesson, ()))
    return dest


def check_display_cells(path: str | Path) -> None:
    """Refuse a source notebook whose display-only cells the autograder could not
    leave unrun without changing a grade (:mod:`grader.display_cells`)."""
    import nbformat

    from .display_cells import problems

    found = problems(nbformat.read(str(path), as_version=4).cells)
    if found:
        raise ValueError(f"{Path(path).name}: display-only cells the autograder skips must "
                         "score nothing and define nothing other cells read:\n  "
                         + "\n  ".join(found))


def write_lesson_fixtures(lesson: str, path: str | Path) -> Path:
    """``grader.fixtures.write_fixtures`` with torch's global random state seeded
    (and restored afterwards), so that the fixtures are the same on every build even
    when a catalogued mistake draws from the global generator (e.g. one that ignores
    the ``generator`` argument): ``lessons/`` can then be compared with a rebuild."""
    import torch

    from .fixtures import write_fixtures

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return write_fixtures(lesson, path)


def notebook_block_imports(path: str | Path) -> set[str]:
    """Top-level ``blocks`` modules a notebook imports (``from blocks.x import``,
    ``import blocks.x``, ``from blocks import x``)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    used: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines()
                         if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue  # a solution stub may not parse; imports live in the first cell
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                head, _, rest = node.module.partition(".")
                if head == "blocks":
                    used.update([rest.split(".")[0]] if rest else [a.name for a in node.names])
            elif isinstance(node, ast.Import):
                for a in node.names:
                    head, _, rest = a.name.partition(".")
                    if head == "blocks" and rest:
                        used.add(rest.split(".")[0])
    return used


# --- release ----------------------------------------------------------------------------

class NbGraderError(RuntimeError):
    """An nbgrader step failed; the message holds its log."""


def nbgrader_result(result: dict[str, Any], what: str) -> str:
    if not result.get("success"):
        raise NbGraderError(f"{what} failed:\n{result.get('log', '')}\n{result.get('error', '')}")
    return str(result.get("log", ""))


def release(course: Course, lessons: Iterable[str] | None = None) -> list[str]:
    """nbgrader ``generate_assignment`` for each lesson (default: all in ``source/``)."""
    course.require()
    todo = list(lessons) if lessons is not None else course.lessons()
    api = course.api()
    for lesson in todo:
        if not (course.source / lesson / f"{lesson}.ipynb").is_file():
            raise ValueError(f"lesson {lesson!r} is not in {course.source}; build it first")
        nbgrader_result(api.generate_assignment(lesson, force=True, create=True),
                        f"generate_assignment {lesson}")
    return todo


def clean_notebook(path: str | Path) -> None:
    """Rewrite a notebook without outputs or execution counts (as kept in git)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, str(path))


def copy_release(course: Course, lesson: str, dest: str | Path) -> Path:
    """Copy ``release/<lesson>/`` to ``dest`` (replaced), notebooks cleaned."""
    src = course.release_dir / lesson
    if not (src / f"{lesson}.ipynb").is_file():
        raise FileNotFoundError(f"{lesson} is not released in {course.root}")
    dest = Path(dest)
    tmp = Path(tempfile.mkdtemp(prefix=f".{lesson}-", dir=dest.parent if dest.parent.exists()
                                else None))
    try:
        staged = tmp / lesson
        shutil.copytree(src, staged, ignore=shutil.ignore_patterns("__pycache__", "*.pyc",
                                                                  ".ipynb_checkpoints"))
        for nb in staged.rglob("*.ipynb"):
            nb.chmod(0o644)
            clean_notebook(nb)
        for f in staged.rglob("*"):
            f.chmod(0o755 if f.is_dir() else 0o644)
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), str(dest))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def update_lessons(course: Course, lessons: Iterable[str] | None = None,
                   dest: str | Path = LESSONS_DIR) -> list[Path]:
    """Rewrite ``lessons/<lesson>/`` from the course's release."""
    todo = list(lessons) if lessons is not None else course.released()
    return [copy_release(course, lesson, Path(dest) / lesson) for lesson in todo]


# --- comparing generated lesson folders --------------------------------------------------

def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def _notebook_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


#: How far two fixtures' floats may be apart and still be the same fixture. The reference
#: runs in float64, but a quantity that is mathematically zero (the gradient of the key
#: projection's bias: softmax ignores a shift shared by all keys) comes out as ~1e-15 of
#: rounding noise that differs between CPUs (vector units, libm): measured up to 2.8e-15
#: between two machines. A real change of a fixture moves values by far more than this.
FIXTURE_ATOL, FIXTURE_RTOL = 1e-9, 1e-6


def same_tensors(a: Any, b: Any) -> bool:
    """Deep equality of plain data holding tensors: dtype, shape and values (floats
    within the rounding noise of :data:`FIXTURE_ATOL`, :data:`FIXTURE_RTOL`)."""
    import torch

    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
                and a.dtype == b.dtype and a.shape == b.shape):
            return False
        if a.is_floating_point():  # NaN (a mistake's output) equals NaN here
            return bool(torch.allclose(a.double(), b.double(), rtol=FIXTURE_RTOL,
                                       atol=FIXTURE_ATOL, equal_nan=True))
        return bool(torch.equal(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_tensors(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_tensors, a, b))
    return bool(a == b)


def compare_lesson_dirs(expected: str | Path, actual: str | Path) -> list[str]:
    """What differs between two lesson folders: notebooks as JSON, ``*.pt``
    files by their tensors, other files byte for byte. Empty when the same."""
    import torch

    expected, actual = Path(expected), Path(actual)
    if not actual.is_dir():
        return [f"{actual} is missing"]
    diffs = []
    want, have = _files(expected), _files(actual)
    diffs += [f"missing: {f}" for f in sorted(want - have)]
    diffs += [f"unexpected: {f}" for f in sorted(have - want)]
    for rel in sorted(want & have):
        a, b = expected / rel, actual / rel
        if rel.endswith(".ipynb"):
            same = _notebook_json(a) == _notebook_json(b)
        elif rel.endswith(".pt"):
            same = same_tensors(torch.load(a, weights_only=True), torch.load(b, weights_only=True))
        else:
            same = a.read_bytes() == b.read_bytes()
        if not same:
            diffs.append(f"differs: {rel}")
    return diffs
