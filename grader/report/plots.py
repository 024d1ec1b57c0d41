"""The HTML report's plots, drawn with matplotlib (no pyplot, no display) and returned as
inline SVG text: the score histogram of a lesson, the outcome of each exercise (passed,
diagnosed mistake, other failure, unanswered) and the item map (difficulty against
discrimination). Each SVG's ids are prefixed so that many can share one page.
"""

from __future__ import annotations

import io
import itertools
import re

import matplotlib
from matplotlib.figure import Figure

from .data import exercise_name
from .stats import LessonStats, histogram

HTML_BINS = 10
#: passed, diagnosed mistake, other failure, unanswered
OUTCOME_COLOURS = ("#2e7d32", "#ef6c00", "#c62828", "#9e9e9e")
_serial = itertools.count()


def _label(text: str) -> str:
    """``text`` shown as is by matplotlib (no mathtext)."""
    return text.replace("$", r"\$")


def to_svg(fig: Figure) -> str:
    """The figure as an ``<svg>`` element to inline in HTML: no XML prologue, no
    metadata, text kept as text, ids unique on the page."""
    buf = io.StringIO()
    prefix = f"r{next(_serial)}-"
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": prefix}):
        fig.savefig(buf, format="svg", bbox_inches="tight",
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    return re.sub(r'(\sid="|url\(#|href="#)', lambda m: m.group(1) + prefix, text)


def score_histogram(ls: LessonStats) -> str | None:
    """The distribution of a lesson's graded scores (percent of its points), with the mean
    and the median marked; None if nothing is graded."""
    sm = ls.summary
    if sm is None:
        return None
    counts = histogram([sm.percent(s.score) / 100 for s in ls.graded], HTML_BINS)
    width = 100 / HTML_BINS
    fig = Figure(figsize=(5.5, 2.6))
    ax = fig.add_subplot()
    ax.bar([width * i for i in range(HTML_BINS)], counts, width=width, align="edge",
           color="#5c6bc0", edgecolor="white")
    ax.axvline(sm.percent(sm.mean), color="#c62828", label=f"mean {sm.percent(sm.mean):.0f}%")
    ax.axvline(sm.percent(sm.median), color="#2e7d32", linestyle="--",
               label=f"median {sm.percent(sm.median):.0f}%")
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (% of the lesson's points)")
    ax.set_ylabel("submissions")
    ax.set_title("Score distribution", fontsize="medium")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return to_svg(fig)


def outcomes(ls: LessonStats) -> str | None:
    """One stacked bar per exercise: the share of graded submissions that passed it, failed
    it with a diagnosed mistake, failed it otherwise, or left it unanswered."""
    items = [it for it in ls.items if it.graded]
    if not items:
        return None
    fig = Figure(figsize=(6.5, 0.5 + 0.4 * len(items)))
    ax = fig.add_subplot()
    names = [_label(exercise_name(it.grade_id)) for it in items][::-1]
    left = [0.0] * len(items)
    labels = ("passed", "diagnosed mistake", "other failure", "unanswered")
    for k, (label, colour) in enumerate(zip(labels, OUTCOME_COLOURS, strict=True)):
        share = [100 * (it.passed, it.diagnosed, it.other_failures, it.unanswered)[k] / it.graded
                 for it in items][::-1]
        ax.barh(names, share, left=left, color=colour, label=label, height=0.7)
        left = [a + b for a, b in zip(left, share, strict=True)]
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of graded submissions")
    ax.set_title("Outcome per exercise", fontsize="medium", pad=22)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=4, fontsize="small",
              frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return to_svg(fig)


def item_map(ls: LessonStats) -> str | None:
    """Each exercise, labelled by its number in the lesson, at (difficulty,
    discrimination), the bands of Ebel and Frisbie's reading shaded; None when no exercise
    has a discrimination."""
    points = [(it.difficulty, it.discrimination, str(i)) for i, it in enumerate(ls.items, 1)
              if it.difficulty is not None and it.discrimination is not None]
    if not points:
        return None
    fig = Figure(figsize=(5.5, 3.4))
    ax = fig.add_subplot()
    ax.axhspan(0.4, 1.05, color="#e8f5e9")
    ax.axhspan(0.2, 0.4, color="#fffde7")
    ax.axhspan(-1.05, 0.2, color="#ffebee")
    ax.scatter([p[0] for p in points], [p[1] for p in points], color="#283593", zorder=3)
    for x, y, number in points:
        ax.annotate(number, (x, y), textcoords="offset points", xytext=(4, 3), fontsize="small")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(min(-0.1, *(p[1] - 0.1 for p in points)), 1.05)
    ax.set_xlabel("difficulty (mean fraction of the points; 1 = easy)")
    ax.set_ylabel("discrimination")
    ax.set_title("Item analysis (points: exercise numbers)", fontsize="medium")
    return to_svg(fig)
