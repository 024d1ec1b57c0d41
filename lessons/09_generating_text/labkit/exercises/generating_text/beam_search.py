"""Lesson 09's ``beam_search`` harness: beam search over a toy language model, with length
normalisation (score = log-probability / n**alpha) and ``</s>`` handling.

The candidate gets ``next_log_probs``, a function of the prefixes built from the case's two
tables (``_toys.toy_language_model``: the next token's scores depend on the last token and
on the position, so the best sequence is not the greedy one). Its answer is recorded as
the tokens padded with -1 to ``1 + max_new_tokens``, their number, and the score, so that
an answer of the wrong length is compared (and named) like any other.
"""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, _pick, _randn
from ._toys import toy_language_model


def _tables(gen: torch.Generator, v: int, n: int, eos: int, eos_bias: torch.Tensor
            ) -> dict[str, torch.Tensor]:
    at = _randn(gen, n, v, scale=0.5)
    at[:, eos] += eos_bias
    return {"after": _randn(gen, v, v, scale=1.5), "at": at}


def _crafted(gen: torch.Generator, v: int, n: int, ids: list[int], kind: str
             ) -> dict[str, torch.Tensor]:
    """Tables made so that one wrong rule shows for sure. ``"refill"``: </s> is the most
    probable first token, but a sequence behind it scores better per token (a beam of one
    ends at once; refilling it finds the better one). ``"rank all"``: the two best
    extensions at step 2 both come from the first hypothesis (extending each hypothesis
    by its own best token misses the best sequence)."""
    bos, eos, a, c, p, q = ids
    after = -3.0 + _randn(gen, v, v, scale=0.1)
    if kind == "refill":
        after[bos, eos], after[bos, a], after[a, c], after[c, eos] = 2.0, 1.8, 5.0, 5.0
    else:
        after[bos, a], after[bos, c], after[a, p], after[a, q] = 1.0, 0.9, 1.0, 0.95
        after[c] = _randn(gen, v, scale=0.05)  # nearly uniform after c
        after[p] = _randn(gen, v, scale=0.05)  # and after p
        after[q, eos] = 5.0
    return {"after": after, "at": torch.zeros(n, v, dtype=torch.float64)}


@register
class BeamSearchHarness(Harness):
    lesson = LESSON
    name = "beam_search"
    title = "beam search with score = log-probability / n**alpha and </s> handling"
    # Scores are means of a few log-probabilities; measured over 40 seeds (the bank's 3
    # float32 implementations against the float64 reference): max abs error 4.5e-07, 0.9%
    # of this tolerance at the worst element. (Tokens compare exactly.)
    tolerance = Tolerance(atol=2e-5, rtol=2e-5)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        v = _pick(gen, 5, 6) if hidden else 5
        ids = torch.randperm(v, generator=gen)[:2].tolist() if hidden else [0, 1]
        bos, eos = ids
        n = _pick(gen, 4, 5) if hidden else 5
        rising = torch.linspace(-2.0, 1.5, n, dtype=torch.float64)
        early = torch.full((n,), -1.0, dtype=torch.float64)
        early[1] = 2.5  # </s> likely as the second generated token
        plans = [("beam of 3, alpha 1", 3, 1.0, rising), ("beam of 3, alpha 0", 3, 0.0, rising),
                 ("beam of 1, alpha 0.7", 1, 0.7, rising),
                 ("</s> out of reach", 2, 1.0, torch.full((n,), -30.0, dtype=torch.float64)),
                 ("</s> likely early", 4, 1.0, early)]
        out = []
        order = torch.randperm(6, generator=gen).tolist() if hidden else [0, 1, 2, 3, 4, 5]
        for name, width, kind in (("</s> first, a better sequence behind it", 1, "refill"),
                                  ("two best extensions of one hypothesis", 2, "rank all")):
            ids = [order[i] for i in range(6)]
            args = {"bos_id": ids[0], "eos_id": ids[1], "beam_width": width, "max_new_tokens": 4,
                    "alpha": 1.0}
            describe = (f"{name}: a toy model over 6 tokens, bos_id={ids[0]}, eos_id={ids[1]}, "
                        f"beam_width={width}, max_new_tokens=4, alpha=1.0")
            out.append(Case(name, describe, _crafted(gen, 6, 4, ids, kind), args))
        for name, width, alpha, bias in plans:
            args = {"bos_id": bos, "eos_id": eos, "beam_width": width, "max_new_tokens": n,
                    "alpha": alpha}
            describe = (f"{name}: a toy model over {v} tokens, bos_id={bos}, eos_id={eos}, "
                        f"beam_width={width}, max_new_tokens={n}, alpha={alpha}")
            out.append(Case(name, describe, _tables(gen, v, n, eos, bias), args))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        lm = toy_language_model(inputs["after"], inputs["at"])
        a = case.args
        result = candidate(lm, a["bos_id"], a["eos_id"], a["beam_width"], a["max_new_tokens"],
                           alpha=a["alpha"])
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(f"beam_search must return (tokens, score), got {type(result).__name__}")
        tokens, score = result
        if isinstance(score, (int, float)) and not isinstance(score, bool):
            score = torch.tensor(float(score), dtype=inputs["after"].dtype)
        elif type(score) is torch.Tensor and score.numel() == 1:
            score = score.reshape(())
        if type(tokens) is not torch.Tensor or tokens.dim() != 1 or tokens.is_floating_point():
            return {"tokens": tokens, "length": tokens, "score": score}  # the type layer says it
        width = 1 + a["max_new_tokens"]
        if tokens.numel() > width:
            raise ValueError(f"the sequence returned has {tokens.numel()} tokens, more than "
                             f"<s> + max_new_tokens = {width}")
        padded = torch.full((width,), -1, dtype=torch.long)
        padded[:tokens.numel()] = tokens.long()
        return {"tokens": padded, "length": torch.tensor(tokens.numel()), "score": score}
