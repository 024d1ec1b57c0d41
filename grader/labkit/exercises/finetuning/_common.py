"""What the lesson 08 harnesses share: the course tokenizer's ids, random weights and
sentences, and the verdict of a candidate that raised.
"""

from __future__ import annotations

import torch

LESSON = "08_finetuning"
PAD_ID, CLS_ID, SEP_ID = 0, 2, 3
#: Ids 0..14 are special in the course tokenizer; words start here.
FIRST_WORD = 15


def _randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=torch.float64) * scale


def _pick(gen: torch.Generator, low: int, high: int) -> int:
    """An int in [low, high]."""
    return int(torch.randint(low, high + 1, (1,), generator=gen))


def _sentences(gen: torch.Generator, b: int, t: int, vocab: int) -> torch.Tensor:
    """``(B, T)`` rows ``[CLS] w ... w [SEP] [PAD] ...``: row 0 fills the width, row 1
    (in the middle of the batch) is the shortest, ``[CLS] w [SEP]``."""
    lengths = torch.randint(3, t + 1, (b,), generator=gen)
    lengths[0], lengths[1] = t, 3
    words = torch.randint(FIRST_WORD, vocab, (b, t), generator=gen)
    ids = torch.full((b, t), PAD_ID, dtype=torch.long)
    for row, n in enumerate(lengths.tolist()):
        ids[row, :n] = words[row, :n]
        ids[row, 0], ids[row, n - 1] = CLS_ID, SEP_ID
    return ids


def _names(names: list[str], n: int = 3) -> str:
    shown = ", ".join(names[:n])
    return shown + (f" and {len(names) - n} more" if len(names) > n else "")
