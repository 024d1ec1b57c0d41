"""Lesson 03's three short questions: the right answer and the catalogued wrong ones."""

from __future__ import annotations

import math

from .. import Entry, mistake
from ._common import ID


def _answer(id: str, hint: str, value) -> object:
    return mistake(id, hint)(value)


ENTRIES = [
    Entry(f"{ID}/encoder_output_shape", (1, 15, 768), (
        _answer("batch_axis_dropped", "the encoder keeps the batch axis: (B, T, E), even for "
                "B = 1.", (15, 768)),
        _answer("one_vector_per_sequence", "an encoder gives one vector PER TOKEN (a contextual "
                "representation of each of the 15 tokens), not one per sequence.", (1, 768)),
        _answer("attention_weights_shape", "(T, T) is the shape of one head's attention weights; "
                "the layer's output has one vector of size E per token.", (1, 15, 15)),
        _answer("feed_forward_size", "the feed-forward network widens to d_ff (often 4 x 768) "
                "inside, but linear2 maps back to d_model: every layer outputs (B, T, 768).",
                (1, 15, 3072)),
    ), points=1),
    Entry(f"{ID}/order_without_positions", "b", (
        _answer("thinks_identical", "each output row belongs to its own token: permute the input "
                "rows and the output rows move with them.", "a"),
        _answer("thinks_unrelated", "self-attention weighs tokens by content only, and a weighted "
                "sum over a set does not depend on the order of the set: each token's output "
                "vector stays the same, only its row moves.", "c"),
        _answer("thinks_order_is_fixed", "nothing in self-attention or the feed-forward network "
                "refers to the index of a row; any order of the same vectors is accepted.", "d"),
    ), points=1),
    Entry(f"{ID}/skip_connections", "b", (
        _answer("thinks_layernorm", "LayerNorm keeps activations at a stable scale, but a "
                "gradient through a plain stack is still a product of one Jacobian per layer; "
                "what else does each sub-layer have?", "a"),
        _answer("thinks_softmax", "the softmax's gradient can vanish (saturated weights); the "
                "path that never vanishes is the identity in x + F(x).", "c"),
        _answer("thinks_parameters", "the number of parameters does not decide whether a "
                "gradient reaches the early layers; the identity path in x + F(x) does.", "d"),
    ), points=1),
]
# Sanity: the right shape is batch x tokens x hidden size.
assert ENTRIES[0].reference == (1, 15, 768) and math.prod(ENTRIES[0].reference) == 15 * 768
