"""``mask_tokens``'s case with another tokenizer's ids: the layout of BERT's uncased
WordPiece vocabulary ([PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103), so that an
answer that writes the course tokenizer's ids into the code instead of reading
``mask_token_id`` and ``special_ids`` shows.
"""

from __future__ import annotations

from typing import Any

import torch

from ._common import IGNORE_INDEX, MASK_ID, SPECIAL_IDS

OTHER_PAD, OTHER_UNK, OTHER_CLS, OTHER_SEP, OTHER_MASK = 0, 100, 101, 102, 103
OTHER_SPECIALS = [OTHER_PAD, OTHER_UNK, OTHER_CLS, OTHER_SEP, OTHER_MASK]
OTHER_VOCAB = 130


def other_sentences(gen: torch.Generator, b: int, t: int) -> torch.Tensor:
    """``(B, T)`` rows ``[CLS] w ... w [SEP] [PAD] ...`` in the other layout; the words are
    every non-special id (the course's special ids 1..14 among them), with a few [UNK]."""
    words = torch.tensor([i for i in range(OTHER_VOCAB) if i not in OTHER_SPECIALS])
    lengths = torch.randint(t // 2, t + 1, (b,), generator=gen)
    lengths[0] = t
    picked = words[torch.randint(len(words), (b, t), generator=gen)]
    picked = torch.where(torch.rand(b, t, generator=gen) < 0.04, OTHER_UNK, picked)
    ids = torch.full((b, t), OTHER_PAD, dtype=torch.long)
    for row, n in enumerate(lengths.tolist()):
        ids[row, :n] = picked[row, :n]
        ids[row, 0], ids[row, n - 1] = OTHER_CLS, OTHER_SEP
    return ids


def ids_of(case: Any) -> tuple[int, list[int]]:
    """The case's ``(mask_token_id, special_ids)``: the course tokenizer's unless it says."""
    return case.args.get("mask_id", MASK_ID), case.args.get("special_ids", SPECIAL_IDS)


def hardcoded_ids_problem(x: torch.Tensor, y: torch.Tensor, labels: torch.Tensor,
                          case: Any) -> tuple[str, str, str] | None:
    """In a case with other ids: the course's ids used instead of the arguments."""
    mask_id, specials = ids_of(case)
    if mask_id == MASK_ID:
        return None
    selected = labels != IGNORE_INDEX
    touched = selected | (y != x)
    only_here = torch.isin(x, torch.tensor([s for s in specials if s not in SPECIAL_IDS]))
    shared = torch.isin(x, torch.tensor([s for s in specials if s in SPECIAL_IDS]))
    if bool((touched & only_here).any()) and not bool((touched & shared).any()):
        return ("property", f"the special ids {specials} were passed in, but {int((touched & only_here).sum())} "
                "of them (as [CLS] and [SEP]) were selected or changed while the course's own "
                "special ids were treated as special", "hardcoded_token_ids")
    course_mask = selected & (y == MASK_ID) & (x != MASK_ID)
    if not bool((selected & (y == mask_id)).any()) and int(course_mask.sum()) >= 5:
        return ("property", f"mask_token_id was {mask_id}, but {int(course_mask.sum())} selected "
                f"tokens became {MASK_ID} (the course tokenizer's [MASK]) and none became {mask_id}",
                "hardcoded_token_ids")
    return None
