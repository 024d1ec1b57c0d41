"""Provided building blocks: reference modules shipped with relative imports."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.course.blocks import closure, copy_blocks, rewrite_imports
from grader.course.lessons import BLOCKS, SOLUTION_MODULES, available_lessons, lesson_blocks

LESSONS = sorted(set(BLOCKS) | set(available_lessons()))


def test_rewrite_imports_makes_reference_imports_relative():
    src = textwrap.dedent("""\
        \"\"\"Uses reference.masks in prose, which stays.\"\"\"
        import math
        from reference.attention import (
            MultiHeadAttention,  # a comment inside
            split_heads,
        )
        from reference import tokenizer
        import reference.masks as m
        import reference.layers

        def f():
            from reference.data.grammar import TOPICS
            return reference.layers.Encoder, TOPICS
        """)
    out = rewrite_imports(src, [])
    assert "from .attention import MultiHeadAttention, split_heads" in out
    assert "from . import tokenizer" in out
    assert "from . import masks as m" in out
    assert "from . import layers\n" in out
    assert "    from .data.grammar import TOPICS" in out
    assert "return layers.Encoder, TOPICS" in out
    assert "import math" in out and "Uses reference.masks in prose" in out
    compile(out, "<rewritten>", "exec")


def test_rewrite_imports_inside_a_subpackage():
    src = ("from reference.tokenizer import PAD_ID\nfrom reference.data import grammar\n"
           "from reference.data.grammar import TOPICS\nfrom reference import masks\n")
    out = rewrite_imports(src, ["data"])
    assert out == ("from ..tokenizer import PAD_ID\nfrom . import grammar\n"
                   "from .grammar import TOPICS\nfrom .. import masks\n")


def test_unlisted_dependencies_and_solution_modules_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not in the list: \\['attention'\\]"):
        copy_blocks(["layers"], tmp_path / "blocks")
    with pytest.raises(ValueError, match="solution module"):
        copy_blocks(["layers", "attention"], tmp_path / "blocks", withheld=["attention"])


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_lesson_ships_its_own_solutions(lesson):
    shipped = closure(lesson_blocks(lesson))
    assert not shipped & set(SOLUTION_MODULES.get(lesson, ())), lesson


def shipped_modules(lesson: str, folder: Path) -> set[str]:
    """The dotted names (below ``blocks``) of every module ``lesson`` ships, as
    copy_blocks writes them: a listed package brings all its sub-modules."""
    copy_blocks(lesson_blocks(lesson), folder, withheld=SOLUTION_MODULES.get(lesson, ()))
    names = set()
    for file in folder.rglob("*.py"):
        parts = file.relative_to(folder).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        if parts:
            names.add(".".join(parts))
    return names


#: Shipped blocks that still hold a later lesson's solution, and why they have to for now:
#: (lesson, solution module, the later lesson it solves). The test below fails on any other,
#: and on an entry here that no longer ships (then delete it).
KNOWN_LATER_SOLUTIONS: dict[tuple[str, str, str], str] = {
    ("03_transformer_encoder", "masks", "04_transformer_decoder"):
        "03 imports padding_mask and expand_padding_mask from blocks.masks, which also "
        "holds 04's decoder_self_mask",
    ("05_masked_lm", "training", "07_objective"):
        "05 imports train from blocks.training, whose train_step is 07's exercise 4",
    ("06_denoising", "training", "07_objective"):
        "06 imports train from blocks.training, whose train_step is 07's exercise 4",
}


@pytest.mark.parametrize("lesson", [x for x in LESSONS if lesson_blocks(x)])
def test_no_lesson_ships_a_later_lessons_solutions(tmp_path, lesson):
    """A module that a later lesson asks students to write (SOLUTION_MODULES, a package
    covering its sub-modules) is not in this lesson's blocks/, where its code would be
    readable lessons early."""
    shipped = shipped_modules(lesson, tmp_path / "blocks")
    found = set()
    for later in sorted(SOLUTION_MODULES):
        if later <= lesson:  # lesson folders sort in course order
            continue
        for solution in SOLUTION_MODULES[later]:
            if any(m == solution or m.startswith(solution + ".") for m in shipped):
                found.add((lesson, solution, later))
    known = {k for k in KNOWN_LATER_SOLUTIONS if k[0] == lesson}
    assert found - known == set(), f"{lesson} ships a later lesson's solution"
    assert known - found == set(), "no longer shipped: delete it from KNOWN_LATER_SOLUTIONS"


#: Runs with -I (no PYTHONPATH, no user site, no cwd on sys.path) and with the
#: project's packages made unimportable even though the venv has them installed.
ISOLATED = textwrap.dedent("""\
    import sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("reference", "grader"):
                raise ImportError(f"{name} is not available to students")
    sys.meta_path.insert(0, Block())
    sys.path.insert(0, sys.argv[1])
    for name in ("reference", "grader"):
        try:
            __import__(name)
        except ImportError:
            pass
        else:
            raise SystemExit(f"{name} should not be importable here")
    import importlib, pkgutil
    import blocks
    names = [m.name for m in pkgutil.walk_packages(blocks.__path__, "blocks.")]
    for name in names:
        importlib.import_module(name)
    assert not any(k.split(".")[0] in ("reference", "grader") for k in sys.modules)
    print("imported", len(names))
    """)


def import_isolated(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-c", ISOLATED, str(folder)], capture_output=True,
                          text=True, timeout=300, cwd="/")


@pytest.mark.parametrize("lesson", [x for x in LESSONS if lesson_blocks(x)])
def test_blocks_import_where_the_project_is_not_installed(tmp_path, lesson):
    copy_blocks(lesson_blocks(lesson), tmp_path / "blocks",
                withheld=SOLUTION_MODULES.get(lesson, ()))
    assert not list(tmp_path.rglob("__pycache__"))
    done = import_isolated(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("imported")


def test_blocks_work_like_the_reference(tmp_path):
    copy_blocks(["masks", "tokenizer", "attention", "layers"], tmp_path / "blocks")
    code = textwrap.dedent("""\
        import torch
        from blocks.layers import EncoderLayer
        torch.manual_seed(0)
        layer = EncoderLayer(8, 2, 16, dropout=0.0).eval()
        x = torch.randn(2, 3, 8)
        torch.save({"state": layer.state_dict(), "x": x, "y": layer(x)}, "out.pt")
        """)
    done = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, '.')\n{code}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    import torch

    from reference.layers import EncoderLayer

    saved = torch.load(tmp_path / "out.pt", weights_only=True)
    ref = EncoderLayer(8, 2, 16, dropout=0.0).eval()
    ref.load_state_dict(saved["state"])
    torch.testing.assert_close(ref(saved["x"]), saved["y"])
