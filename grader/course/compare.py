"""Comparing two lesson folders (is the committed ``lessons/<lesson>/`` the same as
a fresh release?): notebooks as JSON, ``*.pt`` files by their tensors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from .kernel_metadata import portable_metadata


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def _notebook_json(path: Path) -> dict[str, Any]:
    """The notebook as JSON, less the Python version of the machine that built it."""
    content = json.loads(path.read_text(encoding="utf-8"))
    content["metadata"] = portable_metadata(content.get("metadata", {}))
    return content


#: How far two fixtures' floats may be apart and still be the same fixture. The reference
#: runs in float64, but a quantity that is mathematically zero (the gradient of the key
#: projection's bias: softmax ignores a shift shared by all keys) comes out as ~1e-15 of
#: rounding noise that differs between CPUs (vector units, libm): measured up to 2.8e-15
#: between two machines. A real change of a fixture moves values by far more than this.
FIXTURE_ATOL, FIXTURE_RTOL = 1e-9, 1e-6


def same_tensors(a: Any, b: Any) -> bool:
    """Deep equality of plain data holding tensors: dtype, shape and values (floats
    within the rounding noise of :data:`FIXTURE_ATOL`, :data:`FIXTURE_RTOL`)."""

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
