"""Lesson 01, exercise ``RNNDecoder``: the step s_t = tanh(W_y y_{t-1} + W_s s_{t-1} + W_c c + b)
with its output layer, and the teacher-forced loop (Sutskever et al. 2014; Cho et al. 2014
feed c at every step)."""

from __future__ import annotations

from typing import Any

import torch

from ...compare import Tolerance
from ...harness import Case, ModuleHarness
from .. import register
from ._common import BOS_ID, FIRST_WORD, LESSON, PAD_ID, ValuesFirst, randn


def _decoder_params(gen: torch.Generator, v: int, e: int, h: int) -> dict[str, torch.Tensor]:
    """The decoder's parameters, as ``param:<name>`` inputs; the [PAD] embedding is zero."""
    embedding = randn(gen, v, e)
    embedding[PAD_ID] = 0.0
    return {"param:embedding.weight": embedding,
            "param:input_to_hidden.weight": randn(gen, h, e, scale=e ** -0.5),
            "param:input_to_hidden.bias": randn(gen, h, scale=0.3),
            "param:hidden_to_hidden.weight": randn(gen, h, h, scale=h ** -0.5),
            "param:context_to_hidden.weight": randn(gen, h, h, scale=h ** -0.5),
            "param:output.weight": randn(gen, v, h, scale=h ** -0.5 * 2),
            "param:output.bias": randn(gen, v, scale=0.3)}


@register
class RNNDecoderHarness(ValuesFirst, ModuleHarness):
    """``RNNDecoder(vocab_size, embed_dim, hidden_size, pad_id)``: ``step(prev_state,
    prev_token, context) -> (state, logits)`` and ``forward(tgt_in, context) -> logits``."""

    lesson = LESSON
    name = "RNNDecoder"
    title = "the decoder step s_t = tanh(W_y y_{t-1} + W_s s_{t-1} + W_c c + b) and its loop"
    parameters_rule = ("the module's parameters must be exactly those the given __init__ "
                       "creates (embedding, input_to_hidden, hidden_to_hidden, "
                       "context_to_hidden, output)")
    grad_inputs = ("context", "prev_state")
    # Measured, float32 bank vs float64 reference over 200 seeds: max |error| / (1 + |expected|)
    # 6.2e-06 (the gradient of input_to_hidden.weight, max abs error 2.5e-05, summed over
    # every step of the loop); logits 1.1e-06. About 10x margin.
    tolerance = Tolerance(atol=6e-5, rtol=6e-5)

    def cases(self, gen: torch.Generator, *, hidden: bool) -> list[Case]:
        # (B, T, V, E, H): all different; E > H in one case and E < H in the other.
        sizes = [(4, 6, 23, 5, 7), (2, 3, 19, 8, 6)] if hidden else [(3, 4, 21, 5, 6), (2, 5, 18, 7, 4)]
        out = []
        for i, (b, t, v, e, h) in enumerate(sizes):
            # Decoder inputs: <s> y_1 ... with the middle row padded at the end.
            tgt_in = torch.randint(FIRST_WORD, v, (b, t), generator=gen)
            tgt_in[:, 0] = BOS_ID
            if b > 2:
                tgt_in[1, t // 2 + 1:] = PAD_ID
            params = _decoder_params(gen, v, e, h)
            inputs = {"tgt_in": tgt_in, "context": torch.tanh(randn(gen, b, h)),
                      "prev_state": torch.tanh(randn(gen, b, h)),
                      "prev_token": torch.randint(FIRST_WORD, v, (b,), generator=gen), **params}
            init = {"vocab_size": v, "embed_dim": e, "hidden_size": h, "pad_id": PAD_ID}
            up = {"logits": randn(gen, b, t, v), "step_state": randn(gen, b, h),
                  "step_logits": randn(gen, b, v)}
            describe = (f"RNNDecoder(vocab_size={v}, embed_dim={e}, hidden_size={h}); "
                        f"forward(tgt_in {(b, t)}, context {(b, h)}) and step(prev_state {(b, h)}, "
                        f"prev_token {(b,)}, context {(b, h)})")
            out.append(Case(f"case {i + 1}", describe, inputs, {"init": init}, up))
        return out

    def forward(self, candidate: Any, inputs: dict[str, torch.Tensor], case: Case) -> dict[str, Any]:
        module = self.build(candidate, case, inputs, inputs["context"].dtype)
        logits = module(inputs["tgt_in"], inputs["context"])
        result = module.step(inputs["prev_state"], inputs["prev_token"], inputs["context"])
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(f"expected step to return a tuple (state, logits), got "
                            f"{type(result).__name__}")
        return {"logits": logits, "step_state": result[0], "step_logits": result[1]}
