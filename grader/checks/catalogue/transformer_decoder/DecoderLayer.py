"""``DecoderLayer``: the reference (``reference.layers``) and its catalogued mistakes."""

from __future__ import annotations

from torch import nn

from reference.attention import MultiHeadAttention
from reference.layers import DecoderLayer, FeedForward

from .. import Entry, Requirement, mistake
from ._common import ID


class _Layer(nn.Module):
    """The reference's sub-modules and a forward pieced together from parts that the
    mistakes below replace one at a time (unchanged, it is a correct layer)."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = FeedForward(d_model, d_ff, dropout, activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps)

    def self_block(self, x, mask):
        return self.self_attn(x, x, x, mask)[0]

    def cross_block(self, x, memory, mask):
        return self.cross_attn(x, memory, memory, mask)[0]

    def norms(self):
        return self.norm1, self.norm2, self.norm3

    def forward(self, x, memory, self_mask=None, memory_mask=None):
        n1, n2, n3 = self.norms()
        if self.norm_first:
            x = x + self.self_block(n1(x), self_mask)
            x = x + self.cross_block(n2(x), memory, memory_mask)
            return x + self.ff(n3(x))
        x = n1(x + self.self_block(x, self_mask))
        x = n2(x + self.cross_block(x, memory, memory_mask))
        return n3(x + self.ff(x))


_KV_HINT = ("in cross-attention the queries come from the decoder (x) and the keys and values "
            "from the encoder output: cross_attn(x, memory, memory, memory_mask). With the "
            "decoder's own states as keys and values it is a second self-attention and never "
            "reads the source.")


@mistake("cross_kv_from_decoder", _KV_HINT)
class LayerCrossKVFromDecoder(_Layer):
    def cross_block(self, x, memory, mask):
        return self.cross_attn(x, x, x, mask)[0]


@mistake("cross_kv_from_decoder", _KV_HINT)
class LayerCrossKVFromDecoderUnmasked(_Layer):
    def cross_block(self, x, memory, mask):
        return self.cross_attn(x, x, x)[0]


@mistake("cross_query_from_memory", "cross-attention is the other way round: the QUERIES come "
         "from the decoder (one output per target position, T of them) and the keys and values "
         "from the memory: cross_attn(x, memory, memory, memory_mask).")
class LayerCrossQueryFromMemory(_Layer):
    def cross_block(self, x, memory, mask):
        return self.cross_attn(memory, x, x, mask)[0]


@mistake("self_attention_unmasked", "pass self_mask to the self-attention: without the causal "
         "mask each target position sees the words after it, which at inference do not exist yet.")
class LayerSelfUnmasked(_Layer):
    def self_block(self, x, mask):
        return self.self_attn(x, x, x)[0]


@mistake("memory_mask_ignored", "pass memory_mask to the cross-attention, so the decoder ignores "
         "the padding of the source sentence.")
class LayerMemoryMaskIgnored(_Layer):
    def cross_block(self, x, memory, mask):
        return self.cross_attn(x, memory, memory)[0]


_ORDER_HINT = ("the sub-layers run in this order: masked self-attention (norm1), then "
               "cross-attention to the memory (norm2), then the feed-forward (norm3). The decoder "
               "first gathers its own prefix, then asks the source with that as its query.")


@mistake("cross_before_self", _ORDER_HINT)
class LayerCrossFirst(_Layer):
    def forward(self, x, memory, self_mask=None, memory_mask=None):
        if self.norm_first:
            x = x + self.cross_block(self.norm1(x), memory, memory_mask)
            x = x + self.self_block(self.norm2(x), self_mask)
            return x + self.ff(self.norm3(x))
        x = self.norm1(x + self.cross_block(x, memory, memory_mask))
        x = self.norm2(x + self.self_block(x, self_mask))
        return self.norm3(x + self.ff(x))


@mistake("cross_before_self", _ORDER_HINT)
class LayerCrossFirstOwnNorms(_Layer):
    def forward(self, x, memory, self_mask=None, memory_mask=None):
        if self.norm_first:
            x = x + self.cross_block(self.norm2(x), memory, memory_mask)
            x = x + self.self_block(self.norm1(x), self_mask)
            return x + self.ff(self.norm3(x))
        x = self.norm2(x + self.cross_block(x, memory, memory_mask))
        x = self.norm1(x + self.self_block(x, self_mask))
        return self.norm3(x + self.ff(x))


@mistake("norms_shared", "each sub-layer has its own LayerNorm with its own weights: norm1 "
         "after (or before) self-attention, norm2 around cross-attention, norm3 around the "
         "feed-forward.")
class LayerNormsShared(_Layer):
    def norms(self):
        return self.norm1, self.norm1, self.norm1


@mistake("norm_first_ignored", "with norm_first=True the layer is pre-norm: x = x + F(norm(x)) "
         "for each sub-layer; the post-norm form norm(x + F(x)) is for norm_first=False only.")
class LayerAlwaysPostNorm(_Layer):
    def forward(self, x, memory, self_mask=None, memory_mask=None):
        x = self.norm1(x + self.self_block(x, self_mask))
        x = self.norm2(x + self.cross_block(x, memory, memory_mask))
        return self.norm3(x + self.ff(x))


@mistake("memory_normalised", "in pre-norm only the decoder's stream is normalised before "
         "cross-attention: cross_attn(norm2(x), memory, memory, ...). The memory is the encoder's "
         "output, already normalised by the encoder, and norm2 belongs to the decoder.")
class LayerNormalisesMemory(_Layer):
    def forward(self, x, memory, self_mask=None, memory_mask=None):
        if not self.norm_first:
            return super().forward(x, memory, self_mask, memory_mask)
        x = x + self.self_block(self.norm1(x), self_mask)
        x = x + self.cross_block(self.norm2(x), self.norm2(memory), memory_mask)
        return x + self.ff(self.norm3(x))


@mistake("cross_residual_missing", "cross-attention needs its residual connection too: add its "
         "output to x (x + cross_attn(...)) before norm2 (post-norm), or add it back to x "
         "(pre-norm); otherwise what self-attention computed is lost.")
class LayerNoCrossResidual(_Layer):
    def forward(self, x, memory, self_mask=None, memory_mask=None):
        if self.norm_first:
            x = x + self.self_block(self.norm1(x), self_mask)
            x = self.cross_block(self.norm2(x), memory, memory_mask)
            return x + self.ff(self.norm3(x))
        x = self.norm1(x + self.self_block(x, self_mask))
        x = self.norm2(self.cross_block(x, memory, memory_mask))
        return self.norm3(x + self.ff(x))


@mistake("norm_inside_residual", "post-norm normalises the SUM: x = norm(x + F(x)). Normalising "
         "only the sub-layer's output, x + norm(F(x)), lets the residual stream grow unchecked.")
class LayerNormInsideResidual(_Layer):
    def forward(self, x, memory, self_mask=None, memory_mask=None):
        if self.norm_first:
            return super().forward(x, memory, self_mask, memory_mask)
        x = x + self.norm1(self.self_block(x, self_mask))
        x = x + self.norm2(self.cross_block(x, memory, memory_mask))
        return x + self.norm3(self.ff(x))


@mistake("layer_norm_eps_ignored", "build norm1, norm2 and norm3 with eps=layer_norm_eps; "
         "without it they use LayerNorm's default eps, not the one asked for.")
class LayerDefaultEps(_Layer):
    def __init__(self, d_model, num_heads, d_ff, dropout=0.1, activation="relu",
                 norm_first=False, layer_norm_eps=1e-5):
        super().__init__(d_model, num_heads, d_ff, dropout, activation, norm_first)


LAYER_MISTAKES = (LayerCrossKVFromDecoder, LayerCrossKVFromDecoderUnmasked, LayerCrossQueryFromMemory,
                  LayerSelfUnmasked, LayerMemoryMaskIgnored, LayerCrossFirst, LayerCrossFirstOwnNorms,
                  LayerNormsShared, LayerAlwaysPostNorm, LayerNormalisesMemory, LayerNoCrossResidual,
                  LayerNormInsideResidual, LayerDefaultEps)

REQUIREMENTS = (
    Requirement("the self-attention reads the decoder's stream with self_mask (causal and "
                "target padding)", ("self_attention_unmasked",)),
    Requirement("cross-attention takes its queries from the decoder and its keys and values from "
                "the memory, with memory_mask",
                ("cross_kv_from_decoder", "cross_query_from_memory", "memory_mask_ignored")),
    Requirement("the order is masked self-attention, cross-attention, feed-forward",
                ("cross_before_self",)),
    Requirement("each sub-layer has its residual connection and its own LayerNorm "
                "(norm1, norm2, norm3)", ("cross_residual_missing", "norms_shared")),
    Requirement("norm_first chooses pre-norm x + F(norm(x)) or post-norm norm(x + F(x)); the "
                "memory itself is not normalised",
                ("norm_first_ignored", "norm_inside_residual", "memory_normalised")),
    Requirement("the LayerNorms use eps=layer_norm_eps", ("layer_norm_eps_ignored",)),
)

ENTRY = Entry(f"{ID}/DecoderLayer", DecoderLayer, LAYER_MISTAKES, points=3,
              requirements=REQUIREMENTS)
