"""Budgets and pass/fail targets of the training demos, in one place.

``make demo`` runs each demo on its ``"full"`` budget; the slow test
(``tests/reference/test_demos.py``) runs the ``"quick"`` one. Every threshold
was set from measured held-out numbers (torch 2.13 CPU, one thread) with a margin,
so a correct reference passes on another machine or seed and an untrained or
broken one does not; the measurements are quoted beside each number. The README
states these targets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """``metric`` of the trained model must be ``>= minimum`` and/or ``<= maximum``."""

    metric: str
    minimum: float = -math.inf
    maximum: float = math.inf

    def met_by(self, value: float) -> bool:
        return self.minimum <= value <= self.maximum

    def describe(self) -> str:
        if self.maximum == math.inf:
            return f"{self.metric} >= {self.minimum:g}"
        if self.minimum == -math.inf:
            return f"{self.metric} <= {self.maximum:g}"
        return f"{self.minimum:g} <= {self.metric} <= {self.maximum:g}"


@dataclass(frozen=True)
class Budget:
    """How long a demo trains and what it must reach on held-out data."""

    steps: int
    batch_size: int
    targets: tuple[Target, ...]


BUDGET_NAMES = ("full", "quick")

# Measured held-out numbers after training (seeds 0 / 1 / 2; quick runs at all
# three seeds, full runs at seeds 0 and 1). Untrained, every accuracy is about 0
# and every loss about ln(457) = 6.1 or more. Accuracy targets sit about 10%
# below the worst measured seed, loss targets about 10% above it.

# (a) Masked LM on "[CLS] sentence [SEP]", BERT 80/10/10 masking.
# full:  masked_accuracy 0.424 / 0.422,         loss 2.41 / 2.42
# quick: masked_accuracy 0.316 / 0.315 / 0.311, loss 3.65 / 3.60 / 3.69
MASKED_LM: dict[str, Budget] = {
    "full": Budget(steps=800, batch_size=64, targets=(
        Target("masked_accuracy", minimum=0.38),
        Target("loss", maximum=2.7),
    )),
    "quick": Budget(steps=150, batch_size=64, targets=(
        Target("masked_accuracy", minimum=0.27),
        Target("loss", maximum=4.0),
    )),
}

# (b) Denoising encoder-decoder (BART): text infilling or token masking of a
# held-out sentence. token_accuracy is teacher-forced; exact_match is the share
# of greedy reconstructions equal to the original. Infilling hides how many
# words are gone, so exact match is rare there and varies most between seeds.
# full:  token_accuracy 0.836 / 0.829,         exact_match 0.135 / 0.110
# quick: token_accuracy 0.813 / 0.810 / 0.812, loss 0.92 / 0.93 / 0.93
#        (exact_match 0.100 / 0.095 / 0.058: too noisy to be a target)
DENOISING: dict[str, Budget] = {
    "full": Budget(steps=400, batch_size=64, targets=(
        Target("token_accuracy", minimum=0.75),
        Target("exact_match", minimum=0.07),
    )),
    "quick": Budget(steps=150, batch_size=64, targets=(
        Target("token_accuracy", minimum=0.73),
        Target("loss", maximum=1.1),
    )),
}

# (c) Causal LM on "<s> sentence </s>", next-token prediction.
# full:  next_token_accuracy 0.410 / 0.416,         loss 2.08 / 2.06
# quick: next_token_accuracy 0.403 / 0.404 / 0.406, loss 2.46 / 2.45 / 2.46
CAUSAL_LM: dict[str, Budget] = {
    "full": Budget(steps=400, batch_size=64, targets=(
        Target("next_token_accuracy", minimum=0.37),
        Target("loss", maximum=2.3),
    )),
    "quick": Budget(steps=150, batch_size=64, targets=(
        Target("next_token_accuracy", minimum=0.36),
        Target("loss", maximum=2.7),
    )),
}

DEMO_BUDGETS: dict[str, dict[str, Budget]] = {
    "masked_lm": MASKED_LM,
    "denoising": DENOISING,
    "causal_lm": CAUSAL_LM,
}
