"""A released lesson opens unmodified in JupyterLab.

When a notebook's kernel connects, JupyterLab writes the kernel's ``language_info`` (the
exact Python version among it) into the notebook's metadata; if that differs from what the
file holds, the notebook is marked modified (the dot on its tab) before the student has
typed anything, and closing it asks whether to save. The build therefore writes the
``language_info`` that ipykernel reports for the Python that builds the course, which is
the Python of the course's environment and so of the students' kernel (the same image on
JupyterHub; the same ``.venv`` for ``make student``). A student on another Python version
sees the dot once; nothing else depends on it. Grading ignores it (nbgrader's
``ClearMetadataPreprocessor`` keeps only the language name).
"""

from __future__ import annotations

import copy
from typing import Any

#: The one part of ``language_info`` that depends on the machine that built the lessons;
#: :func:`portable_metadata` leaves it out when two builds are compared.
VERSION_KEY = "version"


def kernel_language_info() -> dict[str, Any]:
    """The ``language_info`` ipykernel's Python kernel reports for this interpreter
    (what JupyterLab writes into a notebook when the kernel connects)."""
    # Imported here: the rest of the build never needs IPython.
    from ipykernel.ipkernel import IPythonKernel

    return copy.deepcopy(dict(IPythonKernel.language_info))


def stamp_language_info(nb: Any) -> bool:
    """Write :func:`kernel_language_info` into ``nb.metadata``, in place; whether it changed."""
    info = kernel_language_info()
    if nb.metadata.get("language_info") == info:
        return False
    nb.metadata["language_info"] = info
    return True


def portable_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """A notebook's metadata without the builder's Python version, for comparing two builds
    made with different Python versions."""
    out = copy.deepcopy(metadata)
    out.get("language_info", {}).pop(VERSION_KEY, None)
    return out
