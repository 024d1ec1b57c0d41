"""Lesson 09's ``attend_with_cache`` harness: causal self-attention of new positions over
a key-value cache, checked step by step against attention over the whole prefix.

The harness plays a decoder: it feeds the sequence ``x`` in chunks (a prompt, then one
or two positions at a time), passing each call the cache the candidate returned the step
before. The outputs of all steps, put side by side, must equal causal self-attention
over the whole sequence (the reference's outputs are exactly that; the lesson's tests
check it), and the final cache must hold every position's keys and values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ...compare import Problem, Tolerance
from ...harness import Case, Harness
from .. import register
from ._common import LESSON, _pick, _randn
from ._toys import attention_weights, load_attention


def _plan(gen: torch.Generator, hidden: bool) -> list[tuple[str, list[int]]]:
    if not hidden:
        return [("prompt, then one token at a time", [3, 1, 1, 1]),
                ("one token from the start", [1, 1, 1]),
                ("chunks of two after the prompt", [2, 2, 1])]
    return [("prompt, then one token at a time", [_pick(gen, 2, 4), 1, 1, 1]),
            ("one token from the start", [1, 1, 1, 1]),
            ("chunks of two or three after the prompt", [_pick(gen, 2, 3), _pick(gen, 2, 3), 1])]


@register
class AttendWithCacheHarness(Harness):
    lesson = LESSON
    name = "attend_with_cache"
    title = "causal self-attention of new positions over the cached keys and values"
    # Measured over 40 seeds (the bank's 4 float32 implementations against the float64
    # reference, visible and hidden cases): max abs error 9.3e-07 on outputs and cache of
    # size ~1; the worst element uses 1.9% of this tolerance.
    tolerance = Tolerance(atol=2e-5, rtol=1e-4)
    hints = {
        "cache_modified_in_place": "return a NEW cache (torch.cat makes new tensors); the "
        "cache passed in belongs to the caller and must keep its length and values.",
    }

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        out = []
        for name, chunks in _plan(gen, hidden):
            b, h, dh = (_pick(gen, 1, 3), _pick(gen, 2, 3), _pick(gen, 2, 4)) if hidden else (2, 2, 3)
            e = h * dh
            inputs = {**attention_weights(gen, e), "x": _randn(gen, b, sum(chunks), e)}
            said = " + ".join(str(c) for c in chunks)
            describe = (f"{name}: x {(b, sum(chunks), e)} fed in chunks of {said} positions, "
                        f"num_heads={h}, each call given the cache the call before returned")
            out.append(Case(name, describe, inputs, {"chunks": chunks, "sizes": [e, h]}))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        e, h = case.args["sizes"]
        x = inputs["x"]
        attn = load_attention(inputs, e, h, x.dtype)
        cache: Any = None
        outs, start, modified = [], 0, False
        with torch.no_grad():
            for size in case.args["chunks"]:
                given = cache
                before = None if given is None else [t.clone() for t in given]
                result = candidate(attn, x[:, start:start + size], given)
                if not isinstance(result, tuple) or len(result) != 2:
                    raise TypeError("attend_with_cache must return (out, (keys, values)), got "
                                    f"{type(result).__name__}")
                step_out, cache = result
                if not isinstance(cache, (tuple, list)) or len(cache) != 2 \
                        or not all(type(t) is torch.Tensor for t in cache):
                    raise TypeError("attend_with_cache must return (out, (keys, values)) with "
                                    "keys and values tensors; the cache returned is "
                                    f"{type(cache).__name__}")
                if before is not None and any(
                        old.shape != now.shape or not torch.equal(old, now)
                        for old, now in zip(before, given, strict=True)):
                    modified = True
                outs.append(step_out)
                start += size
        whole = torch.cat(outs, dim=1) if all(type(o) is torch.Tensor and o.dim() == 3
                                               and o.shape[::2] == x.shape[::2] for o in outs) \
            else next(o for o in outs if type(o) is not torch.Tensor or o.dim() != 3
                      or o.shape[::2] != x.shape[::2])
        return {"out": whole, "keys": cache[0], "values": cache[1],
                "modified": torch.tensor(modified)}

    def properties(self, got: Mapping[str, Any], case: Case) -> list[Problem]:
        if type(got.get("modified")) is torch.Tensor and bool(got["modified"]):
            return [Problem("a call changed the cache it was given (in place)",
                            "cache_modified_in_place")]
        return []
