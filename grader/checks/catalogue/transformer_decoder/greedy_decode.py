"""``greedy_decode``: the reference (``reference.models.decoding``) and its catalogued
mistakes, each a switch of one configurable loop."""

from __future__ import annotations

import torch

from reference.models.decoding import greedy_decode
from reference.tokenizer import BOS_ID, EOS_ID, PAD_ID

from .. import Entry, mistake
from ._common import ID


def _greedy(model, src_ids, max_len, bos_id, eos_id, pad_id, *, eval_mode=True, restore=True,
            start=None, feed_prefix=True, position=-1, wrong_axis=False, stop="all",
            pad_after=True, src_mask=True, new_tokens=False, keep_bos=True):
    """Greedy decoding with switches; with the defaults it is a correct implementation."""
    was_training = model.training
    if eval_mode:
        model.eval()
    try:
        with torch.no_grad():
            mask = src_ids != pad_id if src_mask else None  # (B, S)
            memory = model.encode(src_ids, mask)
            batch = src_ids.size(0)
            ys = torch.full((batch, 1), bos_id if start is None else start, dtype=torch.long)
            finished = torch.zeros(batch, dtype=torch.bool)
            for _ in range(max_len if new_tokens else max_len - 1):
                if (stop == "all" and finished.all()) or (stop == "any" and finished.any()):
                    break
                logits = model.decode(ys if feed_prefix else ys[:, -1:], memory, mask)  # (B, L, V)
                nxt = logits.argmax(dim=1)[:, -1] if wrong_axis else logits[:, position].argmax(-1)
                if pad_after:
                    nxt = nxt.masked_fill(finished, pad_id)
                ys = torch.cat([ys, nxt[:, None]], dim=1)  # (B, L + 1)
                finished = finished | (nxt == eos_id)
    finally:
        if restore:
            model.train(was_training)
    return ys if keep_bos else ys[:, 1:]


def _greedy_mistake(id: str, hint: str, **switches):
    def wrong(model, src_ids, max_len, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID):
        return _greedy(model, src_ids, max_len, bos_id, eos_id, pad_id, **switches)

    wrong.__name__ = f"greedy_{id}"
    return mistake(id, hint)(wrong)


def _greedy_hardcoded(model, src_ids, max_len, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID):
    return _greedy(model, src_ids, max_len, BOS_ID, EOS_ID, PAD_ID)


GREEDY_MISTAKES = (
    _greedy_mistake("ignores_eos", "a row is finished once it produced </s>: stop when every row "
                    "is finished (or at max_len), and give finished rows only pad_id afterwards.",
                    stop="never", pad_after=False),
    _greedy_mistake("no_padding_after_eos", "after a row produced </s>, append pad_id to it (not "
                    "the model's prediction) while the other rows go on: "
                    "next_ids.masked_fill(finished, pad_id).", pad_after=False),
    _greedy_mistake("stops_at_first_eos", "stop only when EVERY row has produced </s> "
                    "(finished.all()); the other rows of the batch are not done when the first "
                    "one is.", stop="any"),
    _greedy_mistake("starts_without_bos", "every row starts with bos_id (<s>): the decoder was "
                    "trained to read <s> first and predict the first word from it.", start=PAD_ID),
    _greedy_mistake("last_token_only", "feed the WHOLE prefix generated so far (B, L) to "
                    "model.decode, not only the last token: the decoder needs the earlier tokens "
                    "(there is no cache here), and position i must be at index i.",
                    feed_prefix=False),
    _greedy_mistake("first_position", "the next token comes from the logits at the LAST position, "
                    "logits[:, -1]: position i predicts token i + 1. logits[:, 0] repeats the "
                    "first prediction.", position=0),
    _greedy_mistake("argmax_wrong_axis", "take the argmax over the vocabulary (the last axis) of "
                    "the last position's logits: logits[:, -1].argmax(dim=-1). Over axis 1 it "
                    "returns a position, not a token id.", wrong_axis=True),
    _greedy_mistake("ignores_source_padding", "pass the source padding mask (src_ids != pad_id) to "
                    "model.encode and model.decode, so cross-attention ignores the padded source "
                    "positions.", src_mask=False),
    _greedy_mistake("max_len_excludes_bos", "max_len counts every token of the output, <s> "
                    "included: at most max_len - 1 tokens are generated after <s>.",
                    new_tokens=True),
    _greedy_mistake("drops_bos", "return the full sequences, <s> first (as the reference's "
                    "greedy_decode and Hugging Face generate do).", keep_bos=False),
    _greedy_mistake("no_eval_mode", "call model.eval() before decoding (and restore the mode "
                    "afterwards): in training mode dropout changes the predictions, so greedy "
                    "decoding would not be deterministic.", eval_mode=False),
    _greedy_mistake("training_flag_not_restored", "give the model back its mode: remember "
                    "was_training = model.training, and call model.train(was_training) at the end "
                    "(a try/finally is safest); otherwise training goes on without dropout.",
                    restore=False),
    mistake("hardcoded_special_ids", "use the bos_id, eos_id and pad_id arguments rather than the "
            "constants: callers may pass other ids.")(_greedy_hardcoded),
)

ENTRY = Entry(f"{ID}/greedy_decode", greedy_decode, GREEDY_MISTAKES, points=3)
