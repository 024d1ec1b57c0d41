"""``MathToMathML``: LaTeX math in markdown cells becomes MathML before the HTML export.

nbconvert's ``HTMLExporter`` leaves ``$...$`` in the page for MathJax, which nbgrader's
feedback and Formgrader templates load from a CDN: offline (a classroom without internet, a
student reading feedback on a train) the formulas show as raw TeX. This step converts each
formula of each markdown cell to MathML with ``latex2mathml`` when the HTML is made, and
browsers render MathML themselves, so the page needs no network. It runs in the exporter of
``GenerateFeedback`` and of Formgrader's submission view (``c.HTMLExporter.preprocessors``
in the course's ``lab_config.py``).

Math is found as JupyterLab and nbconvert find it: ``$$...$$``, ``$...$`` (not ``\\$``),
``\\\\[...\\\\]`` and ``\\\\(...\\\\)`` (written with two backslashes in markdown, since one
escapes the bracket) and ``\\begin{env}...\\end{env}``; a formula never spans a blank line;
code spans and fenced code blocks are left as they are (not indented code blocks or raw
HTML, which telling apart would take a markdown parser: dollars there are converted too,
where JupyterLab would show them as typed). Each formula becomes one line of
inline MathML (display math with ``display="block"``) whose markdown-significant characters
are character references, so markdown leaves it alone, and whose ``alttext`` keeps the TeX.
A formula that does not convert (an error, ``merror`` or an unknown command) stays as it
was, with a warning: the feedback is never lost to a formula. Loading this module imports
neither torch nor the grader's checks (Formgrader's server imports it).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from latex2mathml.converter import convert
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

#: Fenced code blocks (``` or ~~~, to the closing fence or the end) and code spans.
_CODE = re.compile(
    r"^[ \t]*(?P<fence>`{3,}|~{3,})(?:.*?\n[ \t]*(?P=fence)[`~]*[ \t]*(?=\n|\Z)|.*\Z)"
    r"|(?<![`\\])(?P<ticks>`+)(?!`)(?:(?!\n[ \t]*\n).)+?(?<!`)(?P=ticks)(?!`)",
    re.MULTILINE | re.DOTALL)
#: What may open a formula; any other backslash escapes the next character (``\\$``).
_OPENER = re.compile(r"\\\\[(\[]|\\begin\{(?P<env>[a-z]*\*?)\}|\\.|\$\$|\$", re.DOTALL)
#: Opener -> (closer, display math?), for the openers but ``\\begin{env}``.
_CLOSERS = {"$": ("$", False), "$$": ("$$", True), "\\\\(": ("\\\\)", False),
            "\\\\[": ("\\\\]", True)}
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
#: A control word latex2mathml did not know: it copies it into the output as text.
_UNKNOWN_COMMAND = re.compile(r">\\[A-Za-z]+<")
#: TeX's operator names that latex2mathml 3.81 does not know (it knows \\max, \\log, ...).
_MISSING_OPERATOR = re.compile(r"\\(arg)(?![A-Za-z])")
#: A \\text{...} as latex2mathml writes it; it keeps the backslash of \\_ \\$ \\% \\& \\#.
_MTEXT = re.compile(r"(<mtext[^>]*>)([^<]*)(?=</mtext>)")


class Formula(NamedTuple):
    """One formula of a markdown source: ``source[start:end]`` with its delimiters."""

    start: int
    end: int
    tex: str
    display: bool


def _closer(text: str, pos: int, stop: int, closer: str) -> int | None:
    """Where ``closer`` begins, ending the formula whose body starts at ``pos`` (braces
    balanced, ``\\x`` skipped), or None when a blank line or ``stop`` comes first."""
    braces, i = 0, pos
    while i < stop:
        if braces == 0 and text.startswith(closer, i, stop):
            return i
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "\n" and _BLANK_LINE.match(text, i, stop):
            return None
        braces += 1 if char == "{" else -1 if char == "}" and braces else 0
        i += 1
    return None


def _formulas_in(text: str, pos: int, stop: int) -> Iterator[Formula]:
    """The formulas of ``text[pos:stop]``, a stretch without code."""
    while (m := _OPENER.search(text, pos, stop)) is not None:
        token, env, pos = m.group(), m.group("env"), m.end()
        if env is not None:
            closer, display = f"\\end{{{env}}}", True
        elif token in _CLOSERS:
            closer, display = _CLOSERS[token]
        else:
            continue  # an escaped character, \\$ among them
        end = _closer(text, pos, stop, closer)
        if end is None or not text[pos:end].strip():
            continue
        body = text[m.start():end + len(closer)] if env is not None else text[pos:end]
        pos = end + len(closer)
        yield Formula(m.start(), pos, body.strip(), display)


def find_formulas(text: str) -> list[Formula]:
    """Every formula of a markdown source, in order, outside code spans and fences."""
    found, pos = [], 0
    for code in _CODE.finditer(text):
        found += _formulas_in(text, pos, code.start())
        pos = code.end()
    return found + list(_formulas_in(text, pos, len(text)))


def _references(text: str) -> str:
    """``text`` with every ASCII character but letters, digits and spaces as a character
    reference: markdown (and nbconvert's own math rules) see nothing to act on."""
    return "".join(c if c.isalnum() or c == " " or ord(c) > 127 else f"&#{ord(c)};"
                   for c in text)


def to_mathml(tex: str, display: bool) -> str:
    """One line of MathML for ``tex``, safe to put in markdown, with the TeX as ``alttext``.
    Raises ``ValueError`` when latex2mathml fails, marks an error or meets an unknown
    command."""
    try:
        mathml = convert(_MISSING_OPERATOR.sub(r"\\operatorname{\1}", tex),
                         display="block" if display else "inline")
    except Exception as err:  # latex2mathml raises its own exceptions and plain ones
        raise ValueError(f"{type(err).__name__}: {err}") from err
    if "<merror" in mathml or (unknown := _UNKNOWN_COMMAND.search(mathml)):
        raise ValueError(f"unknown command {unknown.group()[1:-1] if unknown else ''}".strip())
    mathml = _MTEXT.sub(lambda m: m.group(1) + re.sub(r"\\([_$%&#])", r"\1", m.group(2)), mathml)
    return _markdown_safe(mathml, tex)


def _markdown_safe(mathml: str, tex: str) -> str:
    """``mathml`` on one line, its text and attribute values as character references, and
    ``tex`` (on one line) as its ``alttext``."""
    mathml = re.sub(r">([^<]+)<", lambda m: f">{_references(html.unescape(m.group(1)))}<",
                    mathml)
    mathml = re.sub(r'="([^"]*)"', lambda m: f'="{_references(html.unescape(m.group(1)))}"',
                    mathml)
    alttext = _references(" ".join(tex.split()))
    return mathml.replace("<math ", f'<math alttext="{alttext}" ', 1).replace("\n", " ")


class MathToMathML(Preprocessor):
    """Convert the LaTeX math of markdown cells to inline MathML (offline feedback and
    Formgrader); a formula that does not convert stays as TeX, with a warning."""

    enabled = Bool(True, help="On by default, so it also runs where a converter lists it "
                   "(an exporter turns on each step of its `preprocessors` whatever this "
                   "says). To leave the TeX to MathJax, take it out of "
                   "c.HTMLExporter.preprocessors in nbgrader_config.py.").tag(config=True)

    def convert_source(self, source: str) -> str:
        """``source`` with each formula replaced by its MathML (where it converts)."""
        parts, pos = [], 0
        for formula in find_formulas(source):
            try:
                mathml = to_mathml(formula.tex, formula.display)
            except ValueError as err:
                self.log.warning("Math left as TeX (%s): %s", err, formula.tex)
                continue
            parts += [source[pos:formula.start], mathml]
            pos = formula.end
        return "".join(parts) + source[pos:]

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any], index: int
                        ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type == "markdown":
            cell.source = self.convert_source(cell.source)
        return cell, resources
