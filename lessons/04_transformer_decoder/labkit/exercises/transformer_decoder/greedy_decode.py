"""``greedy_decode(model, src_ids, max_len, bos_id, eos_id, pad_id)``: greedy
autoregressive decoding, run on :class:`ScriptedTranslator`, a stand-in for a trained
encoder-decoder with the interface of the course's models."""

from __future__ import annotations

from typing import Any

import torch

from ...harness import Case, Harness
from .. import register
from ._common import EOS_ID, LESSON, NUM_SPECIAL, PAD_ID, Diagnoses, key_mask, randint


def _check_ids(ids: object, name: str, vocab_size: int) -> torch.Tensor:
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.is_floating_point() \
            or ids.dtype == torch.bool:
        shown = f"shape {tuple(ids.shape)}, dtype {ids.dtype}" if isinstance(ids, torch.Tensor) \
            else type(ids).__name__
        raise ValueError(f"expected {name} to be a 2-D tensor of integer ids (B, L), got {shown}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(f"expected {name} to hold ids in [0, {vocab_size}), got values from "
                         f"{int(ids.min())} to {int(ids.max())}")
    return ids.long()


class ScriptedTranslator(torch.nn.Module):
    """A stand-in for a trained encoder-decoder, with the interface of the course's models.

    ``encode(src_ids, src_mask=None)`` returns the memory ``(B, S, V)``;
    ``decode(tgt_ids, memory, src_mask=None)`` returns logits ``(B, L, V)`` where
    position i predicts ``table[w_i, tgt_ids[:, i]]``, ``w_i`` being the i-th source word
    that ``src_mask`` lets through (every position when it is None), and ``</s>`` once
    the source words run out. Like a real decoder, position i sees only the target
    tokens up to i. In training mode it reads ``train_table`` instead, as dropout
    changes what a trained model predicts. ``grad_calls`` counts the calls made while
    autograd was recording (generation should make none).
    """

    def __init__(self, table: torch.Tensor, train_table: torch.Tensor, eos_id: int, pad_id: int) -> None:
        super().__init__()
        self.table, self.train_table = table.long(), train_table.long()
        self.vocab_size = int(table.shape[0])
        self.eos_id, self.pad_id = eos_id, pad_id
        self.grad_calls = 0

    def encode(self, src_ids: torch.Tensor, src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Source ids ``(B, S)`` -> memory ``(B, S, V)``: the ids one-hot."""
        src_ids = _check_ids(src_ids, "src_ids", self.vocab_size)
        self._check_mask(src_mask, src_ids.shape)
        self.grad_calls += torch.is_grad_enabled()
        return torch.nn.functional.one_hot(src_ids, self.vocab_size).float()  # (B, S, V)

    def decode(self, tgt_ids: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor | None = None,
               tgt_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Target ids ``(B, L)`` and memory ``(B, S, V)`` -> logits ``(B, L, V)``."""
        tgt_ids = _check_ids(tgt_ids, "tgt_ids", self.vocab_size)
        self.grad_calls += torch.is_grad_enabled()
        if not isinstance(memory, torch.Tensor) or memory.dim() != 3 \
                or memory.shape[0] != tgt_ids.shape[0] or memory.shape[2] != self.vocab_size:
            shown = tuple(memory.shape) if isinstance(memory, torch.Tensor) else type(memory).__name__
            raise ValueError(f"expected memory from model.encode, of shape (B={tgt_ids.shape[0]}, S, "
                             f"{self.vocab_size}), got {shown}")
        src = memory.argmax(-1)  # (B, S): the source ids
        keep = torch.ones_like(src, dtype=torch.bool) if src_mask is None else src_mask
        self._check_mask(src_mask, src.shape)
        table = self.train_table if self.training else self.table
        b, length = tgt_ids.shape
        v = torch.arange(self.vocab_size, dtype=torch.float32)
        pos = torch.arange(length, dtype=torch.float32)
        # A smooth background in (-0.5, 0.5) that leaves no ties, and +3 on the prediction.
        logits = 0.5 * torch.sin(0.7 * v[None, None, :] + 1.3 * pos[None, :, None]
                                 + 0.9 * tgt_ids[:, :, None].float())  # (B, L, V)
        for row in range(b):
            words = src[row][keep[row]]
            for i in range(length):
                nxt = int(table[words[i], tgt_ids[row, i]]) if i < len(words) else self.eos_id
                logits[row, i, nxt] += 3.0
        return logits

    def forward(self, src_ids: torch.Tensor, tgt_ids: torch.Tensor, src_mask: torch.Tensor | None = None,
                tgt_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``decode(tgt_ids, encode(src_ids, src_mask), src_mask)``; the mask defaults to
        ``src_ids != pad_id``."""
        if src_mask is None:
            src_mask = _check_ids(src_ids, "src_ids", self.vocab_size) != self.pad_id
        return self.decode(tgt_ids, self.encode(src_ids, src_mask), src_mask)

    @staticmethod
    def _check_mask(mask: object, shape: torch.Size) -> None:
        if mask is None:
            return
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != shape:
            shown = f"shape {tuple(mask.shape)}, dtype {mask.dtype}" if isinstance(mask, torch.Tensor) \
                else type(mask).__name__
            raise ValueError(f"expected src_mask to be the (B, S) = {tuple(shape)} bool padding mask "
                             f"of src_ids (True = real token), got {shown}")


@register
class GreedyDecodeHarness(Diagnoses, Harness):
    """``greedy_decode(model, src_ids, max_len, bos_id=5, eos_id=6, pad_id=0) -> (B, L)``
    long ids, L <= max_len, each row starting with ``<s>`` and padded after its ``</s>``;
    the model decodes in eval mode, without gradients, and gets its training flag back."""

    lesson = LESSON
    name = "greedy_decode"
    title = "greedy autoregressive decoding from <s> until </s> or max_len"
    vocab_size = NUM_SPECIAL + 20

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        v = self.vocab_size
        out = []

        def add(name: str, describe: str, lengths: list[int], max_len: int,
                ids: dict[str, int], probe: bool = False) -> None:
            pad = ids.get("pad_id", PAD_ID)
            s = max(lengths)
            src = torch.randint(NUM_SPECIAL, v, (len(lengths), s), generator=gen)
            src[~key_mask(torch.tensor(lengths), s)] = pad
            # int16 keeps the fixtures small; the model reads them as long.
            table = torch.randint(NUM_SPECIAL, v, (v, v), generator=gen).to(torch.int16)
            train_table = torch.randint(NUM_SPECIAL, v, (v, v), generator=gen).to(torch.int16)
            shown = "" if hidden else ", ".join(f"{k}={val}" for k, val in ids.items())
            out.append(Case(name, f"{describe}; src_ids {tuple(src.shape)}, max_len={max_len}"
                            + (f", {shown}" if shown else ""),
                            {"src_ids": src, "table": table, "train_table": train_table},
                            {"max_len": max_len, "ids": ids, "probe_grad": probe}))

        # Rows of the first case end after 2 + length tokens: at different steps, the
        # shortest at least two steps before the longest, all before max_len.
        if hidden:
            lengths = (torch.randperm(6, generator=gen)[:4] + 1).tolist()  # distinct, in 1..6
            lengths.sort(reverse=True)
            lengths[1], lengths[3] = lengths[3], lengths[1]  # the longest first, the shortest second
            long_row = randint(gen, 6, 9)
            bos = randint(gen, 1, 5)
            other = {"bos_id": bos, "eos_id": randint(gen, 7, 15), "pad_id": bos % 4 + 1}
        else:
            lengths, long_row, other = [4, 1, 3, 2], 7, {"bos_id": 2, "eos_id": 3, "pad_id": 1}
        add("every row ends with </s>", "rows end with </s> at different steps, all before "
            "max_len", lengths, max(lengths) + 4, {})
        add("a row longer than max_len", "one source row is too long to finish within max_len",
            [long_row, 2, 3], long_row, {})
        add("special ids given", "bos_id, eos_id and pad_id passed as arguments", [3, 1], 8, other)
        add("max_len=1", "max_len=1: only <s> fits", [2, 3], 1, {})
        # Appended later (earlier cases keep their fixtures): does the loop record gradients?
        add("no gradients", "the model counts the calls made while autograd records (expected "
            "none: decode under torch.no_grad())", [3, 2], 7, {}, probe=True)
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        ids = case.args["ids"]
        model = ScriptedTranslator(inputs["table"], inputs["train_table"],
                                   ids.get("eos_id", EOS_ID), ids.get("pad_id", PAD_ID))
        model.train()  # as it is after training: greedy decoding must switch dropout off
        result = candidate(model, inputs["src_ids"], case.args["max_len"], **ids)
        out = {"ids": result, "training": torch.tensor(model.training)}
        if case.args.get("probe_grad"):
            out["calls_with_grad"] = torch.tensor(model.grad_calls)
        return out
