"""The kernel's language_info in built lessons (grader/course/kernel_metadata.py)."""

import json

import nbformat
from ipykernel.ipkernel import IPythonKernel

from grader.course.compare import compare_lesson_dirs
from grader.course.kernel_metadata import portable_metadata, stamp_language_info
from grader.course.paths import LESSONS_DIR


def test_stamp_writes_what_the_kernel_reports_once():
    """The stamp is ipykernel's own language_info; stamping twice changes nothing."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = {"name": "python"}
    assert stamp_language_info(nb) is True
    assert nb.metadata["language_info"] == IPythonKernel.language_info
    assert stamp_language_info(nb) is False


def test_committed_lessons_hold_the_kernels_language_info():
    """Every committed lesson notebook holds the language_info a kernel reports (its
    version aside, which is the building machine's), so JupyterLab leaves it unmodified."""
    want = portable_metadata({"language_info": dict(IPythonKernel.language_info)})
    notebooks = sorted(LESSONS_DIR.glob("*/*.ipynb"))
    assert notebooks
    for path in notebooks:
        meta = json.loads(path.read_text())["metadata"]
        assert portable_metadata(meta)["language_info"] == want["language_info"], path
        assert meta["language_info"]["version"].count(".") == 2, path


def test_comparing_builds_ignores_the_python_version(tmp_path):
    """Two builds that differ only in the builder's Python version are the same lessons."""
    for name, version in (("a", "3.11.2"), ("b", "3.13.5")):
        nb = nbformat.v4.new_notebook()
        nb.metadata["language_info"] = {"name": "python", "version": version}
        (tmp_path / name).mkdir()
        nbformat.write(nb, str(tmp_path / name / "x.ipynb"))
    assert compare_lesson_dirs(tmp_path / "a", tmp_path / "b") == []
    nb.metadata["language_info"]["name"] = "R"
    nbformat.write(nb, str(tmp_path / "b" / "x.ipynb"))
    assert compare_lesson_dirs(tmp_path / "a", tmp_path / "b") == ["differs: x.ipynb"]
