"""Evidence files: what a hidden test cell leaves for the trusted grader.

A hidden test cell runs the student's code on inputs built from a seed and
saves only plain data: for each case, a dict of tensors (outputs and
gradients) or an error string. The grader reads it back with
``torch.load(weights_only=True)``, which refuses pickled code and tensor
subclasses, so nothing the student's kernel did can run in the grader.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

EVIDENCE_DIR = ".lab_evidence"
SEED_FILE = ".lab_seed.json"
DEFAULT_SEED = 20261123
#: The seed of the visible cases (those shipped as fixtures).
VISIBLE_SEED = 0


class EvidenceError(ValueError):
    """Evidence that is missing, unreadable or not of the expected form."""


def evidence_path(folder: str | os.PathLike[str], name: str) -> Path:
    return Path(folder) / EVIDENCE_DIR / f"{name}.pt"


def read_seed(folder: str | os.PathLike[str] = ".") -> int:
    """The hidden-test seed the grader wrote for this submission, or the default."""
    path = Path(folder) / SEED_FILE
    if not path.exists():
        return DEFAULT_SEED
    return int(json.loads(path.read_text())["seed"])


def write_evidence(folder: str | os.PathLike[str], name: str, cases: dict[str, dict[str, Any]]) -> Path:
    path = evidence_path(folder, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = {case: {k: _plain(v) for k, v in out.items()} for case, out in cases.items()}
    torch.save(plain, path)
    return path


def _plain(v: Any) -> Any:
    # Only exact tensors and simple scalars/strings are kept; a subclass is
    # turned into its plain data so that honest code never fails to save.
    if isinstance(v, torch.Tensor):
        return v.detach().as_subclass(torch.Tensor).clone()
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return f"<{type(v).__name__}>"


def read_evidence(folder: str | os.PathLike[str], name: str) -> dict[str, dict[str, Any]]:
    """Load and validate one exercise's evidence; raise EvidenceError with the reason."""
    path = evidence_path(folder, name)
    if not path.exists():
        raise EvidenceError("no evidence was recorded: the test cell did not run to its end")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a plain failure
        raise EvidenceError(f"the evidence file could not be read safely ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not all(isinstance(c, dict) for c in data.values()):
        raise EvidenceError("the evidence file is not of the expected form")
    for case in data.values():
        for key, value in case.items():
            ok = type(value) is torch.Tensor or isinstance(value, (str, int, float, bool)) or value is None
            if not isinstance(key, str) or not ok:
                raise EvidenceError("the evidence file holds something other than plain tensors")
    return data
