"""Lesson 09's ``beam_search`` entry: the reference (``reference.generation``) and the
catalogued mistakes (trusted; never shipped). The mistakes share one beam loop with a
switch for each thing they get wrong."""

from __future__ import annotations

import torch

from reference.generation import beam_search

from .. import Entry, Requirement, mistake
from ._common import ID


def _beam(lm, bos, eos, width, n, alpha, *, raw=False, extra_len=0, continue_eos=False,
          refill=False, per_beam=False):
    """Beam search as the lesson states it, with one thing switched to wrong."""
    alive, alive_lp, finished = torch.tensor([[bos]]), None, []
    for step in range(1, n + 1):
        lp = lm(alive)
        alive_lp = torch.zeros(1, dtype=lp.dtype) if alive_lp is None else alive_lp
        v = lp.size(-1)
        cand = alive_lp[:, None] + lp
        if per_beam and step > 1:
            best_tok = cand.argmax(-1)
            order = (torch.arange(len(alive)) * v + best_tok)
            order = order[torch.sort(cand.reshape(-1)[order], descending=True, stable=True).indices]
        else:
            order = torch.sort(cand.reshape(-1), descending=True, stable=True).indices
        if refill:
            keep = []
            for i in order.tolist():
                keep.append(i)
                if sum(1 for j in keep if j % v != eos) == width:
                    break
            order = torch.tensor(keep)
        else:
            order = order[:width]
        rows, toks = order // v, order % v
        grown = torch.cat([alive[rows], toks[:, None]], 1)
        flat = cand.reshape(-1)[order]
        ends = ((toks == eos) & (not continue_eos)) | (step == n)
        for i in ends.nonzero().flatten().tolist():
            finished.append((grown[i], flat[i], step + extra_len))
        alive, alive_lp = grown[~ends], flat[~ends]
        if alive.size(0) == 0:
            break
    key = (lambda f: float(f[1])) if raw else (lambda f: float(f[1]) / f[2] ** alpha)
    tokens, lp, length = max(finished, key=key)
    return tokens, (lp if raw else lp / length**alpha)


@mistake("no_length_normalisation", "compare finished hypotheses by log Pr / n**alpha (n = the "
         "number of generated tokens, </s> included): without it every extra token lowers the "
         "score, so short outputs always win.")
def bs_raw(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha=1.0):
    return _beam(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha, raw=True)


@mistake("bos_counted_in_length", "n counts the GENERATED tokens, </s> included but not the "
         "<s> the search starts from: divide by n**alpha, not (n + 1)**alpha.")
def bs_bos(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha=1.0):
    return _beam(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha, extra_len=1)


@mistake("continues_after_eos", "a hypothesis that ends in </s> is finished: it leaves the beam "
         "with its score and is never extended again (the sequence stops at </s>).")
def bs_continue(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha=1.0):
    return _beam(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha,
                 continue_eos=True)


@mistake("beam_refilled_after_eos", "keep the beam_width best candidates of the step, finished "
         "ones included; when some end in </s> the beam simply holds fewer alive hypotheses "
         "(the lesson's rule), it is not refilled with further candidates.")
def bs_refill(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha=1.0):
    return _beam(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha, refill=True)


@mistake("each_beam_greedy", "rank ALL extensions of all hypotheses together (beam_width x V "
         "candidates) and keep the best beam_width of them; extending each hypothesis by its "
         "own best token only is several greedy searches side by side.")
def bs_per_beam(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha=1.0):
    return _beam(next_log_probs, bos_id, eos_id, beam_width, max_new_tokens, alpha, per_beam=True)


REQUIREMENTS = (
    Requirement("at each step all extensions of all alive hypotheses are ranked together and "
                "the beam_width best are kept, finished ones included (no refill)",
                broken_by=("each_beam_greedy", "beam_refilled_after_eos")),
    Requirement("a hypothesis ending in </s> is finished and never extended",
                broken_by=("continues_after_eos",)),
    Requirement("finished hypotheses are compared by log Pr / n**alpha, n the generated "
                "tokens (</s> included, <s> not)",
                broken_by=("no_length_normalisation", "bos_counted_in_length")),
)

ENTRY = Entry(f"{ID}/beam_search", beam_search, (
    bs_raw, bs_bos, bs_continue, bs_refill, bs_per_beam),
    points=3, requirements=REQUIREMENTS)
