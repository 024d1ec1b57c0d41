"""A small throwaway lesson in nbgrader source format, for the grader's own tests:
two exercises of lesson 02 (a function and a short answer) and one catalogued
mistake, laid out like ``solutions/``: ``<dir>/02_attention/02_attention.ipynb``
and ``<dir>/02_attention/mistakes/<name>__<mistake>.py``."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

LESSON = "02_attention"

IMPORTS = """import math

import torch

import labkit"""

#: Markdown with math (display and inline), which the feedback and Formgrader show as MathML.
ATTENTION_TEXT = r"""## Scaled dot-product attention

$$\operatorname{softmax}\left(\frac{q k^\top}{\sqrt{d_k}}\right) v$$

where $d_k$ is the size of a key."""

SDPA = '''def scaled_dot_product_attention(q, k, v, mask=None):
    """softmax(q k^T / sqrt(d_k)) v, with a bool mask (True = may attend)."""
    ### BEGIN SOLUTION
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, H, T, S)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    if mask is not None:
        weights = torch.nan_to_num(weights, nan=0.0)
    return weights @ v, weights
    ### END SOLUTION'''

SDPA_MISSING_SCALE = '''def scaled_dot_product_attention(q, k, v, mask=None):
    """softmax(q k^T / sqrt(d_k)) v, with a bool mask (True = may attend)."""
    scores = q @ k.transpose(-2, -1)  # (B, H, T, S)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    if mask is not None:
        weights = torch.nan_to_num(weights, nan=0.0)
    return weights @ v, weights
'''

SHAPE = """# The weights of q (2, 8, 10, 64) against k (2, 8, 12, 64): what shape?
### BEGIN SOLUTION
attention_weights_shape = (2, 8, 10, 12)
### END SOLUTION"""


def _meta(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
          points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _check(name: str, points: float):
    src = (f"### BEGIN HIDDEN TESTS\nlabkit.record({name!r}, {name})\n### END HIDDEN TESTS\n"
           f"labkit.check({name!r}, {name})").replace("'", '"')
    return new_code_cell(src, metadata=_meta(f"check_{name}", grade=True, locked=True,
                                              points=points))


def notebook() -> nbformat.NotebookNode:
    from grader.checks.registry import get

    pts = {n: get(f"{LESSON}/{n}").entry.points
           for n in ("scaled_dot_product_attention", "attention_weights_shape")}
    nb = new_notebook(cells=[
        new_markdown_cell("# Attention (development lesson)"),
        new_code_cell(IMPORTS, metadata=_meta("imports", locked=True)),
        new_markdown_cell(ATTENTION_TEXT),
        new_code_cell(SDPA, metadata=_meta("ex_scaled_dot_product_attention", solution=True)),
        _check("scaled_dot_product_attention", pts["scaled_dot_product_attention"]),
        new_markdown_cell("## A question"),
        new_code_cell(SHAPE, metadata=_meta("ex_attention_weights_shape", solution=True)),
        _check("attention_weights_shape", pts["attention_weights_shape"]),
    ])
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write(solutions_dir: str | Path) -> Path:
    """Write the lesson under ``solutions_dir``; return the lesson folder."""
    folder = Path(solutions_dir) / LESSON
    (folder / "mistakes").mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(), str(folder / f"{LESSON}.ipynb"))
    (folder / "mistakes" / "scaled_dot_product_attention__missing_scale.py").write_text(
        SDPA_MISSING_SCALE)
    return folder
