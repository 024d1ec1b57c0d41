"""Provided building blocks: reference modules shipped with a released lesson.

A lesson that builds on earlier ones (docs/architecture.md, "What a lesson folder
ships") gets the earlier building blocks from the reference as a ``blocks/`` package
beside its notebook: the selected ``reference`` modules, copied verbatim except that
their imports of the reference become relative::

    from reference.attention import MultiHeadAttention   ->  from .attention import MultiHeadAttention
    from reference import tokenizer                       ->  from . import tokenizer
    import reference.masks as masks                       ->  from . import masks as masks
    (in blocks/data/__init__.py) from reference.tokenizer import PAD_ID
                                                          ->  from ..tokenizer import PAD_ID

so the folder works where neither ``reference`` nor ``grader`` is installed (a
student's laptop, the sandboxed autograde kernel). The notebook then writes
``from blocks.layers import EncoderLayer``.

What ships is explicit: :func:`copy_blocks` refuses a module whose reference
imports (its dependency closure) are not in the list, except private helpers
(``_checks``), which are added automatically; :mod:`grader.course` also refuses
to ship a lesson's own solution modules.
"""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import reference

REFERENCE_PACKAGE = "reference"
BLOCKS_PACKAGE = "blocks"


def reference_root() -> Path:
    """The folder of the ``reference`` package."""
    return Path(reference.__file__).resolve().parent


def module_path(name: str, root: Path | None = None) -> Path:
    """The file (``<name>.py``) or package folder (``<name>/``) of reference module ``name``."""
    root = root or reference_root()
    parts = name.split(".")
    package = root.joinpath(*parts)
    if (package / "__init__.py").is_file():
        return package
    file = root.joinpath(*parts[:-1], parts[-1] + ".py")
    if file.is_file():
        return file
    raise ValueError(f"no reference module {name!r} (looked for {file} and {package}/)")


def _source_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)


def _module_parts(file: Path, root: Path) -> tuple[list[str], list[str]]:
    """(module path, package path) of ``file`` relative to the reference root."""
    rel = file.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
        return parts, parts
    return parts, parts[:-1]


def _reference_imports(tree: ast.AST) -> list[tuple[ast.stmt, list[str]]]:
    """Each import statement of ``tree`` that names the reference, with the
    reference modules it needs (dotted names below ``reference``)."""
    found: list[tuple[ast.stmt, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            head, _, rest = node.module.partition(".")
            if head != REFERENCE_PACKAGE:
                continue
            if rest:
                found.append((node, [rest]))
            else:  # from reference import X, Y: X and Y are modules
                found.append((node, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            mods = [a.name.partition(".")[2] for a in node.names
                    if a.name.partition(".")[0] == REFERENCE_PACKAGE]
            if mods:
                found.append((node, mods))
    return found


def dependencies(name: str, root: Path | None = None) -> set[str]:
    """The reference modules that module ``name`` imports (top-level names, e.g. ``"masks"``)."""
    root = root or reference_root()
    deps: set[str] = set()
    for file in _source_files(module_path(name, root)):
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        for node, mods in _reference_imports(tree):
            if isinstance(node, ast.Import) and any(not m for m in mods):
                raise ValueError(f"{file}: 'import reference' alone cannot be made relative; "
                                 "import the module you need")
            deps.update(m.split(".")[0] for m in mods if m)
    deps.discard(name.split(".")[0])
    return deps


def closure(names: Iterable[str], root: Path | None = None) -> set[str]:
    """``names`` and everything they import from the reference, transitively."""
    root = root or reference_root()
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(dependencies(name, root) - seen)
    return seen


def _relative(target: list[str], package: list[str]) -> str:
    """The relative module name of ``target`` seen from inside ``package``
    (both paths below the reference root)."""
    common = 0
    while common < min(len(target), len(package)) and target[common] == package[common]:
        common += 1
    dots = "." * (len(package) - common + 1)
    return dots + ".".join(target[common:])


def rewrite_imports(source: str, package: list[str], filename: str = "<module>") -> str:
    """``source`` (a reference module inside ``package``) with every import of the
    reference made relative, as it must read inside ``blocks/``."""
    tree = ast.parse(source, filename)
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, int, int, str]] = []
    renames: list[tuple[str, str]] = []
    for node, _mods in _reference_imports(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.module is not None
            target = node.module.split(".")[1:]
            names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
            new = f"from {_relative(target, package)} import {names}"
        else:
            parts = []
            for a in node.names:
                head, _, rest = a.name.partition(".")
                if head != REFERENCE_PACKAGE:
                    parts.append(f"import {a.name}" + (f" as {a.asname}" if a.asname else ""))
                    continue
                if not rest:
                    raise ValueError(f"{filename}: 'import reference' alone cannot be made relative")
                *up, last = rest.split(".")
                alias = a.asname or last
                parts.append(f"from {_relative(up, package)} import {last}"
                             + (f" as {alias}" if alias != last else ""))
                if a.asname is None:  # `import reference.x.y` is used as `reference.x.y.f`
                    renames.append((a.name, last))
            new = "; ".join(parts)
        assert node.end_lineno is not None and node.end_col_offset is not None
        edits.append((node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, new))
    for lineno, col, end_lineno, end_col, new in sorted(edits, reverse=True):
        head = lines[lineno - 1][:col]
        tail = lines[end_lineno - 1][end_col:]
        lines[lineno - 1:end_lineno] = [head + new + tail]
    text = "".join(lines)
    for dotted, short in renames:
        text = re.sub(rf"\b{re.escape(dotted)}\b", short, text)
    # The result must hold no import of the reference any more.
    left = _reference_imports(ast.parse(text, filename))
    if left:
        raise ValueError(f"{filename}: could not rewrite line {left[0][0].lineno}")
    return text


def copy_blocks(modules: Iterable[str], dest: str | Path, *, withheld: Iterable[str] = (),
                root: Path | None = None) -> Path:
    """Write ``dest`` (a ``blocks/`` folder) holding ``modules`` of the reference
    with relative imports, and an ``__init__.py`` naming them.

    Raises ``ValueError`` when a module needs a reference module that is neither
    listed nor private (leading underscore), or when the closure holds one of
    ``withheld`` (a lesson's own solution modules).
    """
    root = root or reference_root()
    wanted = sorted(set(modules))
    full = closure(wanted, root)
    private = {m for m in full if m.startswith("_")}
    missing = sorted(full - set(wanted) - private)
    if missing:
        raise ValueError(f"the blocks {wanted} import reference modules not in the list: {missing}; "
                         "add them to the lesson's blocks (if they may ship) or change the lesson")
    # A withheld name covers its sub-modules too ("models" withholds "models.classifier").
    leaked = sorted(m for m in full for w in withheld if m == w or m.startswith(w + "."))
    if leaked:
        raise ValueError(f"the blocks would ship a solution module of the lesson: {leaked}")
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in sorted(full):
        src = module_path(name, root)
        for file in _source_files(src):
            _, package = _module_parts(file, root)
            out = dest / file.relative_to(root)
            out.parent.mkdir(parents=True, exist_ok=True)
            text = rewrite_imports(file.read_text(encoding="utf-8"), package, str(file))
            out.write_text(text, encoding="utf-8")
    listing = "\n".join(f"* ``{BLOCKS_PACKAGE}.{m}``" for m in wanted)
    (dest / "__init__.py").write_text(
        '"""Provided building blocks: the course\'s reference implementation of earlier\n'
        "lessons, shipped with this lesson (generated by ``pretraining-lab build``; do not edit).\n\n"
        f"{listing}\n\nUse them as, e.g., ``from blocks.{wanted[0] if wanted else 'x'} import ...``.\n"
        '"""\n', encoding="utf-8")
    return dest
