"""``greedy_decode``: the reference (``reference.models.decoding``) and its catalogued
mistakes, each a switch of one configurable loop."""

from __future__ import annotations

import torch

from reference.models.decoding import greedy_decode
from reference.tokenizer import BOS_ID, EOS_ID, PAD_ID

from .. import Entry, Requirement, mistake
from ._common import ID


def _greedy(model, src_ids, max_len, bos_id, eos_id, pad_id, *, eval_mode=True, restore=True,
            start=None, feed_prefix=True, position=-1, wrong_axis=False, stop="all",
            pad_after=True, src_mask=True, new_tokens=False, keep_bos=True, no_grad=True):
    """Greedy decoding with switches; with the defaults it is a correct implementation."""
    was_training = model.training
    if eval_mode:
        model.eval()
    try:
        with torch.set_grad_enabled(not no_grad):
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


def _hardcoded_one(which: str, hint: str):
    """One special id taken from the constants, the other two from the arguments."""
    def wrong(model, src_ids, max_len, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID):
        ids = {"bos_id": bos_id, "eos_id": eos_id, "pad_id": pad_id}
        ids[which] = {"bos_id": BOS_ID, "eos_id": EOS_ID, "pad_id": PAD_ID}[which]
        return _greedy(model, src_ids, max_len, **ids)

    wrong.__name__ = f"greedy_hardcoded_{which}"
    return mistake(f"hardcoded_{which}", hint)(wrong)


GREEDY_MISTAKES = (
    # First: on the case with other special ids they can return what a mistake below returns
    # (a pad id taken from the constants leaves the source unmasked).
    _hardcoded_one("bos_id", "start the rows with the bos_id argument, not the BOS_ID constant: "
                   "callers may pass another id."),
    _hardcoded_one("eos_id", "detect the end of a row with the eos_id argument, not the EOS_ID "
                   "constant: callers may pass another id."),
    _hardcoded_one("pad_id", "use the pad_id argument (for the source mask and after </s>), not "
                   "the PAD_ID constant: callers may pass another id."),
    _greedy_mistake("ignores_eos", "a row is finished once it produced </s>: stop when every row "
                    "is finished (or at max_len), and give finished rows only pad_id afterwards.",
                    stop="never", pad_after=False),
    _greedy_mistake("no_padding_after_eos", "after a row produced </s>, append pad_id to it (not "
                    "the model's prediction) while the other rows go on: keep a bool flag per "
                    "row and overwrite the guesses of the finished rows.", pad_after=False),
    _greedy_mistake("stops_at_first_eos", "stop only when EVERY row has produced </s>; "
                    "the other rows of the batch are not done when the first "
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
                    "the last position's logits. Over the position axis it returns a position, "
                    "not a token id.", wrong_axis=True),
    _greedy_mistake("ignores_source_padding", "pass the source padding mask (True where the source "
                    "id is not pad_id) to model.encode and model.decode, so cross-attention ignores the padded source "
                    "positions.", src_mask=False),
    _greedy_mistake("max_len_excludes_bos", "max_len counts every token of the output, <s> "
                    "included: at most max_len - 1 tokens are generated after <s>.",
                    new_tokens=True),
    _greedy_mistake("drops_bos", "return the full sequences, <s> first (as the reference's "
                    "greedy_decode and Hugging Face generate do).", keep_bos=False),
    _greedy_mistake("no_eval_mode", "call model.eval() before decoding (and restore the mode "
                    "afterwards): in training mode dropout changes the predictions, so greedy "
                    "decoding would not be deterministic.", eval_mode=False),
    _greedy_mistake("training_flag_not_restored", "give the model back its mode: read the "
                    "model.training flag before switching to eval mode and pass it back to "
                    "model.train at the end (a try/finally is safest); otherwise training goes on "
                    "without dropout.",
                    restore=False),
    mistake("hardcoded_special_ids", "use the bos_id, eos_id and pad_id arguments rather than the "
            "constants: callers may pass other ids.")(_greedy_hardcoded),
    _greedy_mistake("builds_graph", "decode inside torch.no_grad() (or torch.inference_mode()): "
                    "generation needs no gradients, and without it every step records a graph "
                    "that costs memory and time.", no_grad=False),
)

REQUIREMENTS = (
    Requirement("every row starts with bos_id and the output keeps it",
                ("starts_without_bos", "drops_bos")),
    Requirement("the source is encoded with its padding mask, which decode also gets",
                ("ignores_source_padding",)),
    Requirement("each step feeds the whole prefix and takes the argmax over the vocabulary of "
                "the last position's logits",
                ("last_token_only", "first_position", "argmax_wrong_axis")),
    Requirement("a row is finished at eos_id; finished rows get pad_id; the loop stops when all "
                "rows are finished", ("ignores_eos", "no_padding_after_eos", "stops_at_first_eos")),
    Requirement("L <= max_len, <s> included", ("max_len_excludes_bos",)),
    Requirement("the bos_id, eos_id and pad_id arguments are used, not the constants",
                ("hardcoded_special_ids", "hardcoded_bos_id", "hardcoded_eos_id",
                 "hardcoded_pad_id")),
    Requirement("the model runs in eval mode and gets its training flag back",
                ("no_eval_mode", "training_flag_not_restored")),
    Requirement("decoding runs without gradients (torch.no_grad())", ("builds_graph",)),
)

ENTRY = Entry(f"{ID}/greedy_decode", greedy_decode, GREEDY_MISTAKES, points=3,
              requirements=REQUIREMENTS)
