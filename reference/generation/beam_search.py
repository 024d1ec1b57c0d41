"""Beam search with length normalisation and end-of-sequence handling (lesson 09).

Book: *Foundations of LLMs* ch. 2, decoding as search: the most probable output
argmax_y log Pr(y | x) cannot be found by trying every sequence (V^n of them), and greedy
decoding commits to one token at a time. Beam search keeps the ``beam_width`` best
partial sequences (hypotheses) at each step (Graves 2012; Sutskever, Vinyals and Le 2014).

The algorithm, exactly as the lesson states it:

* start from the single hypothesis ``[bos_id]`` with log-probability 0;
* at each step, extend every alive hypothesis by every token; a candidate's score is its
  hypothesis's log-probability plus log Pr(token | hypothesis); keep the ``beam_width``
  best candidates of all of them (ties: the earlier hypothesis, then the smaller id);
* a kept candidate that ends in ``eos_id`` is finished: it leaves the beam (the beam then
  has fewer alive hypotheses), with its final score; the others stay alive;
* after ``max_new_tokens`` steps, the alive hypotheses are finished as they are;
  search also stops when no hypothesis is alive;
* the answer is the finished hypothesis with the best final score, ``log Pr / n**alpha``
  where n counts the generated tokens (``</s>`` included, ``<s>`` not). ``alpha = 0``
  compares raw log-probabilities (which favours short outputs, since every token adds a
  negative term); ``alpha = 1`` compares the mean log-probability per token.

Length normalisation ``log Pr / n**alpha`` is the form of Hugging Face's
``length_penalty`` (``BeamSearchScorer`` / ``generate(num_beams=..., length_penalty=...)``);
Wu et al. 2016 (GNMT) use ((5 + n) / 6)**alpha instead. Differences from Hugging Face:
one input at a time, no early stopping (every step up to ``max_new_tokens`` is run), and
the beam is not refilled with further candidates when some finish.

With ``beam_width`` at least V**max_new_tokens nothing is ever pruned, so the result is
that of :func:`exhaustive_search`, which tries every sequence.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from reference._checks import check_positive_int

#: ``(N, L)`` long prefixes -> ``(N, V)`` log-probabilities of the next token.
NextLogProbs = Callable[[Tensor], Tensor]


def _check_args(beam_width: int, max_new_tokens: int, alpha: float) -> None:
    check_positive_int(beam_width, "beam_width")
    check_positive_int(max_new_tokens, "max_new_tokens")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha < 0:
        raise ValueError(f"expected alpha, a number >= 0, got {alpha!r}")


def beam_search(next_log_probs: NextLogProbs, bos_id: int, eos_id: int, beam_width: int,
                max_new_tokens: int, alpha: float = 1.0) -> tuple[Tensor, Tensor]:
    """The best sequence found by beam search, and its final score.

    ``next_log_probs(prefixes)`` maps ``(N, L)`` long prefixes (each starting with
    ``bos_id``) to ``(N, V)`` log-probabilities of the next token. Returns the tokens
    ``(L,)`` long, ``bos_id`` first (ending in ``eos_id`` unless it ran out of steps), and
    the 0-d float score ``log Pr / n**alpha`` (n generated tokens). See the module
    docstring for the exact algorithm.
    """
    _check_args(beam_width, max_new_tokens, alpha)
    alive = torch.tensor([[bos_id]])  # (N, L): the hypotheses still growing
    alive_lp: Tensor | None = None  # (N,): their log-probabilities
    finished: list[tuple[Tensor, Tensor]] = []  # (tokens, final score), in order found
    for step in range(1, max_new_tokens + 1):
        log_probs = next_log_probs(alive)  # (N, V)
        if alive_lp is None:
            alive_lp = torch.zeros(1, dtype=log_probs.dtype)
        vocab = log_probs.size(-1)
        flat = (alive_lp[:, None] + log_probs).reshape(-1)  # (N * V,): every candidate's log-prob
        best = torch.sort(flat, descending=True, stable=True).indices[:beam_width]  # (K,)
        rows, tokens = best // vocab, best % vocab  # (K,), (K,)
        grown = torch.cat([alive[rows], tokens[:, None]], dim=1)  # (K, L + 1)
        ends = (tokens == eos_id) | (step == max_new_tokens)  # (K,): these are finished
        for i in ends.nonzero().flatten().tolist():
            finished.append((grown[i], flat[best[i]] / step**alpha))
        alive, alive_lp = grown[~ends], flat[best][~ends]  # (N', L + 1), (N',)
        if alive.size(0) == 0:
            break
    tokens, score = max(finished, key=lambda f: float(f[1]))  # the first of equal scores
    return tokens, score


def exhaustive_search(next_log_probs: NextLogProbs, bos_id: int, eos_id: int,
                      vocab_size: int, max_new_tokens: int, alpha: float = 1.0
                      ) -> tuple[Tensor, Tensor]:
    """The best of EVERY sequence beam search could return, scored as it does.

    Tries every sequence of 1 .. ``max_new_tokens`` generated tokens in which ``eos_id``
    can only be the last token, and which ends in ``eos_id`` unless it has
    ``max_new_tokens`` tokens: V**n sequences, so only for tiny ``vocab_size`` and lengths
    (a check of :func:`beam_search`). Returns ``(tokens (L,), score)`` like it.
    """
    _check_args(1, max_new_tokens, alpha)
    best: tuple[Tensor, Tensor] | None = None
    frontier = [(torch.tensor([bos_id]), torch.zeros((), dtype=torch.float64))]
    for step in range(1, max_new_tokens + 1):
        grown = []
        for tokens, lp in frontier:
            log_probs = next_log_probs(tokens[None])[0]  # (V,)
            for tok in range(vocab_size):
                seq, total = torch.cat([tokens, torch.tensor([tok])]), lp + log_probs[tok]
                if tok == eos_id or step == max_new_tokens:
                    score = total / step**alpha
                    if best is None or float(score) > float(best[1]):
                        best = (seq, score)
                else:
                    grown.append((seq, total))
        frontier = grown
    assert best is not None
    return best
