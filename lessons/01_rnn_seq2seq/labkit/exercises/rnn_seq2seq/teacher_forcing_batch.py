"""Lesson 01, exercise ``teacher_forcing_batch``: the decoder inputs <s> y_1 .. y_{T-1} and
the labels y_1 .. y_T with -100 at padding (peer: Hugging Face ``shift_tokens_right``)."""

from __future__ import annotations

from typing import Any

import torch

from ...harness import Case, Harness
from .. import register
from ._common import BOS_ID, EOS_ID, FIRST_WORD, LESSON, PAD_ID, lengths_of, right_padded


@register
class TeacherForcingBatchHarness(Harness):
    """``teacher_forcing_batch(tgt_ids (B, T), bos_id, pad_id) -> (tgt_in, labels)``."""

    lesson = LESSON
    name = "teacher_forcing_batch"
    title = "decoder inputs <s> y_1 .. y_{T-1} and labels y_1 .. y_T (-100 at padding)"
    hints = {"mutates_input": "tgt_ids must not change: build new tensors (torch.cat, "
             "masked_fill without the underscore, or .clone() first). `labels = tgt_ids` is not "
             "a copy, so labels[...] = -100 writes into tgt_ids."}

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        b, t, v = (4, 8, 40) if hidden else (3, 6, 30)
        out = []
        # The course's ids: <s> 5, [PAD] 0, each target ending with </s>.
        lengths = lengths_of(gen, b, t, shortest=3)
        ids = torch.randint(FIRST_WORD, v, (b, t), generator=gen)
        ids[torch.arange(b), lengths - 1] = EOS_ID
        ids = ids.masked_fill(~right_padded(lengths, t), PAD_ID)
        out.append(Case("course ids", f"tgt_ids {(b, t)} ending with </s> ({EOS_ID}), padded on "
                        f"the right, bos_id={BOS_ID}, pad_id={PAD_ID}", {"tgt_ids": ids},
                        {"bos_id": BOS_ID, "pad_id": PAD_ID}))
        # Other ids, so fixed numbers in the code show; real tokens 0 and 5 among the words.
        bos_id, pad_id = (2, 3) if not hidden else (int(torch.randint(1, 3, (1,), generator=gen)), 4)
        lengths = lengths_of(gen, b, t, shortest=3)
        ids = torch.randint(FIRST_WORD, v, (b, t), generator=gen)
        ids[:, 0] = 0
        ids[0, 1] = BOS_ID
        ids[torch.arange(b), lengths - 1] = EOS_ID
        ids = ids.masked_fill(~right_padded(lengths, t), pad_id)
        out.append(Case("other ids", f"tgt_ids {(b, t)} padded on the right with pad_id={pad_id}, "
                        f"bos_id={bos_id}, real tokens with ids 0 and 5", {"tgt_ids": ids},
                        {"bos_id": bos_id, "pad_id": pad_id}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        result = candidate(inputs["tgt_ids"], case.args["bos_id"], case.args["pad_id"])
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(f"expected a tuple (tgt_in, labels), got {type(result).__name__}")
        return {"tgt_in": result[0], "labels": result[1]}
