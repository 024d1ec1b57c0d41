"""What the three training demos share: sampling batches, the model size, results.

No book section of its own; each demo names its own. The demos train on the
course corpus (``reference.data``) with the shared loop (``reference.training``)
and report held-out metrics before and after training against the targets of
``reference.demos.targets``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from reference.data import CourseCorpus, load_corpus, pad
from reference.demos.targets import BUDGET_NAMES, Budget, Target
from reference.models import TransformerConfig
from reference.training import History

Printer = Callable[[str], None]


def demo_config(vocab_size: int) -> TransformerConfig:
    """One small Transformer size for all demos: trains in seconds on 2 CPU cores.

    No dropout: a few hundred steps over freshly drawn batches (and fresh noise)
    are far from over-fitting the 9k training sentences, and dropout slows the
    early learning these short runs are made of.
    """
    return TransformerConfig(vocab_size=vocab_size, d_model=64, num_heads=4, d_ff=128,
                             num_encoder_layers=2, num_decoder_layers=2, max_len=64,
                             dropout=0.0)


def get_budget(budgets: dict[str, Budget], budget: str | Budget) -> Budget:
    if isinstance(budget, Budget):
        return budget
    if budget not in budgets:
        raise ValueError(f"expected budget in {BUDGET_NAMES} or a Budget, got {budget!r}")
    return budgets[budget]


def get_corpus(corpus: CourseCorpus | None, seed: int) -> CourseCorpus:
    return corpus if corpus is not None else load_corpus(seed)


def sample_rows(sequences: Sequence[Sequence[int]], batch_size: int,
                generator: torch.Generator) -> list[Sequence[int]]:
    """``batch_size`` sequences drawn uniformly with replacement (one draw per step)."""
    index = torch.randint(len(sequences), (batch_size,), generator=generator).tolist()
    return [sequences[i] for i in index]


def sample_batch(sequences: Sequence[Sequence[int]], batch_size: int,
                 generator: torch.Generator) -> torch.Tensor:
    """Random rows, right-padded: ``(B, T)`` long, T = longest row drawn."""
    return pad(sample_rows(sequences, batch_size, generator))


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of positions with a label (not -100) where the argmax is the label."""
    keep = labels != -100  # (B, T)
    if not keep.any():
        return 0.0
    return float((logits.argmax(dim=-1)[keep] == labels[keep]).float().mean())


@dataclass
class DemoResult:
    """Held-out metrics before and after training, and each target's verdict."""

    name: str
    before: dict[str, float]
    after: dict[str, float]
    targets: tuple[Target, ...]
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    history: History | None = None
    samples: list[str] = field(default_factory=list)

    @property
    def verdicts(self) -> list[tuple[Target, float, bool]]:
        return [(t, self.after[t.metric], t.met_by(self.after[t.metric])) for t in self.targets]

    @property
    def passed(self) -> bool:
        return all(ok for _, _, ok in self.verdicts)


def report(result: DemoResult, printer: Printer = print) -> None:
    """Print the before/after table and a PASS/FAIL line per target."""
    printer(f"  {'held-out metric':<22}{'before':>10}{'after':>10}")
    for key in result.after:
        printer(f"  {key:<22}{result.before[key]:>10.4f}{result.after[key]:>10.4f}")
    for target, value, ok in result.verdicts:
        printer(f"  [{'PASS' if ok else 'FAIL'}] {target.describe():<32} (got {value:.4f})")
    for line in result.samples:
        printer(line)
    printer(f"  time {result.seconds:.1f} s wall, {result.cpu_seconds:.1f} s CPU")


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds`` (wall) and ``sw.cpu_seconds``.

    CPU time is reported too because wall time on a shared machine says more
    about the neighbours than about the demo.
    """

    def __enter__(self) -> Stopwatch:
        self._start, self._cpu_start = time.perf_counter(), time.process_time()
        self.seconds = self.cpu_seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
        self.cpu_seconds = time.process_time() - self._cpu_start
