"""MathToMathML: LaTeX math of markdown cells as MathML, so the feedback and Formgrader show
formulas offline (no MathJax CDN). Pure string work and nbconvert, no course build."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader
from traitlets.utils.importstring import import_item

from grader.autograde.preprocessors import MathToMathML
from grader.autograde.preprocessors.math_to_mathml import find_formulas, to_mathml
from grader.course.config_files import write_course_config
from grader.course.paths import LAB_CONFIG_TEMPLATE, LESSONS_DIR

LESSON_NOTEBOOKS = sorted(LESSONS_DIR.glob("*/*.ipynb"))
#: nbgrader's HTML templates: 'feedback' (GenerateFeedback) and 'formgrade' (Formgrader).
NBGRADER_TEMPLATES = str(Path(import_item("nbgrader.server_extensions.formgrader.handlers")
                              .template_path))
#: A rendered markdown cell of nbgrader's templates, up to the next cell.
MARKDOWN_CELL = re.compile(r'class="[^"]*(?:text_cell_render|jp-MarkdownOutput)[^"]*"(.*?)'
                           r'(?=<div[^>]*class="[^"]*(?:jp-Cell |cell )|\Z)', re.DOTALL)


def raw_math_left(html: str) -> list[str]:
    """The start of each rendered markdown cell of an nbgrader page (feedback, formgrade)
    that still holds a $ outside code, i.e. TeX left for MathJax."""
    cells = MARKDOWN_CELL.findall(html)
    assert cells, "no rendered markdown cell found"
    return [c[:200] for c in cells
            if "$" in re.sub(r"<code>.*?</code>|<pre>.*?</pre>", "", c, flags=re.DOTALL)]


def formulas(text: str) -> list[tuple[str, bool]]:
    return [(f.tex, f.display) for f in find_formulas(text)]


def convert(source: str) -> str:
    return MathToMathML().convert_source(source)


# --- finding math as JupyterLab and nbconvert do -----------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("the key size $d_k$ here", [("d_k", False)]),
    ("display $$\\sum_i x_i$$ and\n$$\na\n$$", [("\\sum_i x_i", True), ("a", True)]),
    ("\\\\(q\\\\) and \\\\[r\\\\]", [("q", False), ("r", True)]),
    ("\\(one backslash\\) \\[escapes the bracket\\]", []),
    ("costs \\$5 or \\$6, then $x$", [("x", False)]),
    ("$\\text{a \\$ b}$", [("\\text{a \\$ b}", False)]),
    ("$a\n\nb$ is two paragraphs", []),
    ("\\begin{pmatrix} a \\\\ b \\end{pmatrix}", [("\\begin{pmatrix} a \\\\ b \\end{pmatrix}", True)]),
    ("`$x$` and ``a `$y$` b`` then $z$", [("z", False)]),
    ("```python\nprice = '$a$'\n```\n$b$", [("b", False)]),
    ("~~~\n$a$\n~~~\n$b$ and\n```\nunclosed $c$", [("b", False)]),
    ("`tgt_in` $= [\\,$`<s>`$, y_1]$", [("= [\\,", False), (", y_1]", False)]),
])
def test_find_formulas_follows_jupyters_delimiters(text, expected):
    """$...$, $$...$$, \\\\(...\\\\) and \\\\[...\\\\] (two backslashes in markdown) and
    \\begin{env} are math; an escaped dollar, a blank line, code spans and fenced code
    (closed or not) are not."""
    assert formulas(text) == expected


# --- the MathML -----------------------------------------------------------------------------

def test_inline_and_display_math_become_one_line_of_mathml_with_the_tex():
    """Inline math becomes display="inline", display math display="block", each one line
    with the TeX in alttext; the text around is kept."""
    out = convert("Let $d_k$ be\n$$\n\\frac{1}{\\sqrt{d_k}}\n$$\ndone.")
    inline, block = re.findall(r"<math [^>]*>", out)
    assert 'display="inline"' in inline and 'display="block"' in block
    assert out.startswith("Let <math ") and out.endswith("</math>\ndone.")
    assert out.count("\n") == 2 and "$" not in out
    assert 'alttext="d&#95;k"' in inline
    assert "alttext=\"&#92;frac&#123;1&#125;&#123;&#92;sqrt&#123;d&#95;k&#125;&#125;\"" in block


def test_code_escaped_dollars_and_text_are_left_alone():
    """Code spans, fenced code and escaped dollars come out unchanged."""
    source = "Use `$x$` or \\$5.\n\n```\ny = '$z$'\n```\n"
    assert convert(source) == source


def test_markdown_leaves_the_mathml_alone():
    """Rendered by nbconvert's markdown (as the feedback is), the MathML stays whole: no
    emphasis from * or _, no extra table column from |, no link from [..](..)."""
    source = ("$a*b*c$ and $x_i + y_i$ and $[a](b)$\n\n"
              "| loss | formula |\n|---|---|\n| mean | $|x| / n$ |\n")
    html = markdown2html_mistune(convert(source))
    assert "<em>" not in html and "<a " not in html and "$" not in html
    assert html.count("<math ") == 4 and html.count("<td>") == 2
    assert "&lt;math" not in html


class _Records(logging.Handler):
    """Collects the records of the one logger it is attached to."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_formula_that_does_not_convert_stays_tex_with_a_warning():
    """latex2mathml's errors and unknown commands leave that formula as it was (and the
    others converted), with a warning; the feedback never fails on a formula."""
    step = MathToMathML()
    # On the step's own logger: nbgrader's apps, run by other tests in this process, stop
    # traitlets' logger from propagating to the root logger that caplog watches, and may
    # raise its level (set back after).
    records, level = _Records(), step.log.level
    step.log.addHandler(records)
    step.log.setLevel(logging.WARNING)
    try:
        out = step.convert_source("bad $x^$ and unknown $\\notacommand y$ but $z$ works")
    finally:
        step.log.removeHandler(records)
        step.log.setLevel(level)
    assert out.startswith("bad $x^$ and unknown $\\notacommand y$ but <math ")
    assert sum("Math left as TeX" in r.getMessage() for r in records.records) == 2
    with pytest.raises(ValueError, match="notacommand"):
        to_mathml("\\notacommand y", display=False)


def test_only_markdown_cells_change():
    """Code cells (and their outputs) keep their dollars; markdown cells get MathML."""
    nb = new_notebook(cells=[new_markdown_cell("$x$"), new_code_cell("s = '$x$'")])
    out, _ = MathToMathML().preprocess(nb, {})
    assert out.cells[0].source.startswith("<math ") and out.cells[1].source == "s = '$x$'"


def test_every_setting_is_documented():
    """The class says what it does; each setting has help text; it is on by default."""
    assert MathToMathML.__doc__ and MathToMathML().enabled
    for name, trait in MathToMathML.class_traits(config=True).items():
        assert trait.help, name


# --- the lessons ----------------------------------------------------------------------------

def test_every_formula_of_every_lesson_converts():
    """Each formula of each committed lesson's markdown converts, with no merror and no
    unknown command (to_mathml raises on those)."""
    assert LESSON_NOTEBOOKS
    count = 0
    for path in LESSON_NOTEBOOKS:
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for formula in find_formulas(cell.source):
                    assert "<merror" not in to_mathml(formula.tex, formula.display)
                    count += 1
    assert count > 100


def lab_config() -> Config:
    return PyFileConfigLoader(LAB_CONFIG_TEMPLATE.name,
                              path=str(LAB_CONFIG_TEMPLATE.parent)).load_config()


def test_the_course_runs_the_step_once_in_the_html_exporter():
    """lab_config.py puts MathToMathML on the HTML exporter (the feedback's and
    Formgrader's), not again in GenerateFeedback's own list."""
    cfg = lab_config()
    assert [import_item(n) for n in cfg.HTMLExporter.preprocessors] == [MathToMathML]
    assert not any("MathToMathML" in str(n) for n in cfg.GenerateFeedback.preprocessors)


#: What each nbgrader page gives its template (GetGrades' scores; Formgrader's handler).
PAGE_RESOURCES = {
    "feedback": {"nbgrader": {"notebook": "lesson", "score": 0, "max_score": 1,
                              "late_penalty": 0}},
    "formgrade": {"assignment_id": "lesson", "notebook_id": "lesson", "submission_id": "1",
                  "index": 0, "total": 1, "base_url": "/", "student": "alice",
                  "last_name": None, "first_name": None, "notebook_path": "lesson.ipynb"},
}


def nbgrader_page_exporter(template: str) -> HTMLExporter:
    """An HTML exporter with the course's configuration and nbgrader's template, set up as
    GenerateFeedback ('feedback') and Formgrader ('formgrade') set theirs up."""
    cfg = lab_config()
    cfg.HTMLExporter.template_name = template
    cfg.HTMLExporter.extra_template_basedirs = [NBGRADER_TEMPLATES]
    cfg.HTMLExporter.extra_template_paths = [str(Path(NBGRADER_TEMPLATES).parent / "static" /
                                                 "node_modules" / "bootstrap" / "dist" / "css")]
    return HTMLExporter(config=cfg)


@pytest.mark.parametrize("template", ["feedback", "formgrade"])
def test_lessons_render_with_mathml_and_no_raw_math(template):
    """Each lesson through an HTML exporter with the course's configuration and nbgrader's
    template: its markdown shows MathML, no $ is left in a rendered markdown cell (code
    aside) and no MathML was escaped into text."""
    exporter = nbgrader_page_exporter(template)
    for path in LESSON_NOTEBOOKS:
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:  # the scores GetGrades would add
            if "nbgrader" in cell.metadata:
                cell.metadata.nbgrader.setdefault("points", 0)
                cell.metadata.nbgrader["score"] = 0
        html, _ = exporter.from_notebook_node(nb, resources=PAGE_RESOURCES[template])
        assert "<math " in html and not raw_math_left(html), path.name
        assert "&lt;math" not in html, path.name


# --- Formgrader's server --------------------------------------------------------------------

FORMGRADER = """
import sys
import nbformat
from nbconvert.exporters import HTMLExporter
from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension
formgrader = FormgradeExtension()  # as nbgrader's load_jupyter_server_extension does
formgrader.root_dir = "."
formgrader.initialize([])
exporter = HTMLExporter(config=formgrader.config)  # its tornado settings' exporter
print(sorted(type(p).__name__ for p in exporter._preprocessors if p.enabled))
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("$x$")])
resources = {"index": 0, "total": 1, "base_url": "/", "notebook_path": "x.ipynb"}
html, _ = exporter.from_notebook_node(nb, resources=resources)
print("<math " in html, [m for m in ("torch", "grader.checks") if m in sys.modules])
"""


def test_formgrader_renders_math_with_the_courses_configuration(tmp_path):
    """Formgrader's server, started in a course folder, reads nbgrader_config.py (and so
    lab_config.py): its exporter runs MathToMathML, and importing it brought no torch."""
    write_course_config(tmp_path)
    done = subprocess.run([sys.executable, "-c", FORMGRADER], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    steps, rendered = done.stdout.strip().splitlines()[-2:]
    assert "'MathToMathML'" in steps
    assert rendered == "True []"


def test_loading_the_step_imports_no_torch():
    """Importing MathToMathML (and RequirePrivateCopy, Formgrader's Autograde button) from
    the lazy preprocessors package imports neither torch nor the grader's checks."""
    code = ("import sys\n"
            "from grader.autograde.preprocessors import MathToMathML, RequirePrivateCopy\n"
            "import grader.autograde.preprocessors.math_to_mathml\n"
            "print([m for m in ('torch', 'grader.checks', 'grader.autograde.preprocessors."
            "hidden_verdicts') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.strip() == "[]"
