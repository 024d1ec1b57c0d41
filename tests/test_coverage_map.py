"""docs/coverage.md maps the seed documents' concepts, equations and practice questions to
lesson cells. These tests keep it true: the cells it names exist, every row says where its
topic is taught or why not yet, and the counts at its top add up. They read the notebooks
as JSON and run nothing."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAP = ROOT / "docs" / "coverage.md"
#: Lessons announced but not written yet; a `not yet: NN` row must name one (none today).
PLANNED: tuple[str, ...] = ()
ROW = re.compile(r"^\|\s*([CQ])(\d+)\s*\|(.*)\|(.*)\|(.*)\|\s*$")
CROSS_REFERENCE = re.compile(r"\b(\d\d) `([^`]+)`")  # "03 `7d317c6c`" inside a text or reason
KINDS = {"C": "concepts and equations", "Q": "practice questions"}


def _lessons() -> dict[str, Path]:
    """Lesson id -> its solutions notebook, for every lesson folder that has one."""
    return {d.name: d / f"{d.name}.ipynb" for d in sorted((ROOT / "solutions").iterdir())
            if (d / f"{d.name}.ipynb").is_file()}


@functools.cache
def _cell_ids(lesson: str) -> frozenset[str]:
    cells = json.loads(_lessons()[lesson].read_text())["cells"]
    return frozenset(cell["id"] for cell in cells)


def _rows() -> list[dict]:
    """Every mapping row, with the seed section (its ``## `` heading) it sits in."""
    rows, section = [], None
    for number, line in enumerate(MAP.read_text().splitlines(), start=1):
        if line.startswith("## "):
            section = line[3:].strip()
        elif match := ROW.match(line):
            kind, n, text, where, cell = (g.strip() for g in match.groups())
            rows.append({"line": number, "section": section, "kind": kind, "n": int(n),
                         "text": text, "where": where, "cell": cell})
    return rows


def _status(where: str) -> str:
    return "not yet" if where.startswith("not yet") else \
        "not planned" if where == "not planned" else "covered"


def test_the_map_has_rows_in_every_seed_section():
    """The map parses into rows, and each seed section holds some."""
    rows = _rows()
    assert len(rows) > 100
    assert all(row["section"] and row["section"].startswith("Seed ") for row in rows)


def test_every_named_cell_exists_in_its_lesson():
    """(a) A row that names a lesson names at least one cell id in backticks, and each one is
    the ``id`` of a cell of ``solutions/<lesson>/<lesson>.ipynb``."""
    lessons, missing = _lessons(), []
    for row in _rows():
        if row["where"] not in lessons:
            continue
        ids = re.findall(r"`([^`]+)`", row["cell"])
        if not ids:
            missing.append(f"line {row['line']}: no cell id for {row['where']}")
        missing += [f"line {row['line']}: {row['where']} has no cell {cell_id!r}"
                    for cell_id in ids if cell_id not in _cell_ids(row["where"])]
    assert not missing


def test_every_cross_reference_names_an_existing_cell():
    """(a) A reference such as "08 `md_11`" in a row's text or reason names a lesson by its
    number and a cell id that exists in that lesson's notebook."""
    by_number = {lesson[:2]: lesson for lesson in _lessons()}
    wrong = []
    for row in _rows():
        for number, cell_id in CROSS_REFERENCE.findall(row["text"]) + \
                CROSS_REFERENCE.findall(row["cell"]):
            lesson = by_number.get(number)
            if lesson is None or cell_id not in _cell_ids(lesson):
                wrong.append(f"line {row['line']}: {number} `{cell_id}`")
    assert not wrong


def test_every_row_says_where_or_why_not():
    """(b) "where" is an existing lesson id; or ``not yet: NN`` with a planned lesson 09, 10
    or 11 that does not exist yet (once it exists, map the row to its cell) and ``-`` as
    cell; or ``not planned`` with a one-line reason in the cell column."""
    existing = {lesson[:2] for lesson in _lessons()}
    wrong = []
    for row in _rows():
        where, cell = row["where"], row["cell"]
        if where in _lessons():
            continue
        planned = re.fullmatch(r"not yet: (\d\d)", where)
        if planned:
            ok = planned[1] in PLANNED and planned[1] not in existing and cell == "-"
        else:
            ok = where == "not planned" and len(cell) >= 15
        if not ok:
            wrong.append(f"line {row['line']}: {where!r} / {cell!r}")
    assert not wrong


def test_numbers_follow_the_seed_order():
    """Within a seed section, the concepts are numbered C1, C2, ... and the practice
    questions Q1, Q2, ..., in order and without gaps, so a number names one seed item."""
    numbers: dict[tuple[str, str], list[int]] = {}
    for row in _rows():
        numbers.setdefault((row["section"], row["kind"]), []).append(row["n"])
    wrong = {key: found for key, found in numbers.items()
             if found != list(range(1, len(found) + 1))}
    assert not wrong


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_counts_at_the_top_match_the_rows(kind):
    """(c) The counts table at the top (covered, not yet, not planned, total) equals what the
    rows of that kind say."""
    line = next(line for line in MAP.read_text().splitlines()
                if line.startswith(f"| {KINDS[kind]} |"))
    stated = [int(cell) for cell in line.strip("| ").split("|")[1:]]
    statuses = [_status(row["where"]) for row in _rows() if row["kind"] == kind]
    counted = [statuses.count(s) for s in ("covered", "not yet", "not planned")]
    assert stated == [*counted, len(statuses)]
