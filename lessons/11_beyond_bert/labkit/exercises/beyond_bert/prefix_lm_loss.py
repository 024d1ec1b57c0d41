"""Lesson 11's ``prefix_lm_loss`` harness: next-token prediction on the continuation only."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import CLS_ID, LESSON, NUM_SPECIAL, PAD_ID, _pick, _randn


@register
class PrefixLMLossHarness(Harness):
    """``prefix_lm_loss(logits (B, T, V), input_ids (B, T), prefix_lengths (B,), pad_id) -> ()``."""

    lesson = LESSON
    name = "prefix_lm_loss"
    title = "the mean next-token loss over the continuation's real tokens"
    grad_inputs = ("logits",)
    # Measured (100 seeds, 4 implementations, float32 against float64): max abs error
    # 9.0e-07 on the loss, 2.9e-08 on the gradients; the worst element uses 7.7% of this
    # tolerance (a 13x margin).
    tolerance = Tolerance(atol=2e-6, rtol=2e-6)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t, v = (4, 9, 23) if hidden else (3, 8, 21)
        out = []
        for name, pad_id in (("padded batch", PAD_ID), ("pad_id != 0", _pick(gen, 5, 9) if hidden else 6)):
            lengths = [t] + [_pick(gen, 4, t - 1) for _ in range(b - 1)]
            ids = torch.randint(NUM_SPECIAL, v, (b, t), generator=gen)
            ids[:, 0] = CLS_ID
            if pad_id != PAD_ID:
                ids[ids == pad_id] = NUM_SPECIAL + 1
                ids[0, t - 2] = 0  # a real token whose id is 0, in the continuation
            for row, n in enumerate(lengths):
                ids[row, n:] = pad_id
            # Prefixes from 1 to the row's length - 1: each row has a continuation.
            prefixes = [_pick(gen, 2, n - 2) for n in lengths]
            prefixes[1] = 1
            logits = _randn(gen, b, t, v, scale=1.5) + _randn(gen, b, t, 1, scale=3.0)
            out.append(Case(name, f"{name}: logits {(b, t, v)}, input_ids {(b, t)} right-padded with "
                            f"{'pad_id=0' if pad_id == PAD_ID else 'a pad_id other than 0'}, "
                            f"prefix_lengths ({b},) from 1 up", {"logits": logits, "input_ids": ids,
                            "prefix_lengths": torch.tensor(prefixes)}, {"pad_id": pad_id},
                            {"loss": _randn(gen)}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        return {"loss": candidate(inputs["logits"], inputs["input_ids"], inputs["prefix_lengths"],
                                  pad_id=case.args["pad_id"])}
