"""``EncoderLayer``: the reference (``reference.layers``) and its catalogued mistakes."""

from __future__ import annotations

from reference.layers import EncoderLayer

from .. import Entry, Requirement, mistake
from ._common import ID


class _Layer(EncoderLayer):
    """The reference layer; ``forward`` pieced together from parts the mistakes replace."""

    def sa(self, x, mask):
        return self.self_attn(x, x, x, mask)[0]

    def forward(self, x, mask=None):
        if self.norm_first:
            x = x + self.sa(self.norm1(x), mask)
            return x + self.ff(self.norm2(x))
        x = self.norm1(x + self.sa(x, mask))
        return self.norm2(x + self.ff(x))


@mistake("missing_residual_attention", "the attention sub-layer needs its skip connection too: "
         "post-norm x = norm1(x + attention(x)), pre-norm x = x + attention(norm1(x)).")
class LayerNoResidualAttn(_Layer):
    def forward(self, x, mask=None):
        if self.norm_first:
            x = self.sa(self.norm1(x), mask)
            return x + self.ff(self.norm2(x))
        x = self.norm1(self.sa(x, mask))
        return self.norm2(x + self.ff(x))


@mistake("missing_residual_ff", "the feed-forward sub-layer needs its skip connection too: "
         "post-norm x = norm2(x + ff(x)), pre-norm x = x + ff(norm2(x)).")
class LayerNoResidualFF(_Layer):
    def forward(self, x, mask=None):
        if self.norm_first:
            x = x + self.sa(self.norm1(x), mask)
            return self.ff(self.norm2(x))
        x = self.norm1(x + self.sa(x, mask))
        return self.norm2(self.ff(x))


@mistake("norm_first_ignored", "norm_first=True asks for pre-norm: x = x + attention(norm1(x)); "
         "x = x + ff(norm2(x)). Post-norm is only for norm_first=False.")
class LayerAlwaysPost(_Layer):
    def forward(self, x, mask=None):
        x = self.norm1(x + self.sa(x, mask))
        return self.norm2(x + self.ff(x))


@mistake("norm_order_swapped", "the two orders are the other way round: post-norm "
         "(norm_first=False) is x = norm(x + sublayer(x)), pre-norm is x = x + sublayer(norm(x)).")
class LayerSwapped(_Layer):
    def forward(self, x, mask=None):
        if not self.norm_first:
            x = x + self.sa(self.norm1(x), mask)
            return x + self.ff(self.norm2(x))
        x = self.norm1(x + self.sa(x, mask))
        return self.norm2(x + self.ff(x))


@mistake("same_norm_twice", "each sub-layer has its own LayerNorm: norm1 around attention, "
         "norm2 around the feed-forward network (their weights differ).")
class LayerOneNorm(_Layer):
    def forward(self, x, mask=None):
        if self.norm_first:
            x = x + self.sa(self.norm1(x), mask)
            return x + self.ff(self.norm1(x))
        x = self.norm1(x + self.sa(x, mask))
        return self.norm1(x + self.ff(x))


@mistake("mask_ignored", "pass the mask to self-attention (self_attn(x, x, x, mask)): padding "
         "positions must get no attention.")
class LayerNoMask(_Layer):
    def sa(self, x, mask):
        return self.self_attn(x, x, x, None)[0]


@mistake("mask_inverted", "pass the mask as it is: in this course True means 'may attend' "
         "(nn.MultiheadAttention uses the opposite, but MultiHeadAttention here does not).")
class LayerMaskInverted(_Layer):
    def sa(self, x, mask):
        return self.self_attn(x, x, x, None if mask is None else ~mask)[0]


@mistake("ff_reads_layer_input", "the feed-forward sub-layer reads the OUTPUT of the attention "
         "sub-layer (after its residual and norm), not the layer's input.")
class LayerFFOnInput(_Layer):
    def forward(self, x, mask=None):
        if self.norm_first:
            h = x + self.sa(self.norm1(x), mask)
            return h + self.ff(self.norm2(x))
        h = self.norm1(x + self.sa(x, mask))
        return self.norm2(h + self.ff(x))


@mistake("residual_from_normalised_input", "in pre-norm the residual adds the un-normalised "
         "x: x = x + attention(norm1(x)), not norm1(x) + attention(norm1(x)).")
class LayerResidualNormed(_Layer):
    def forward(self, x, mask=None):
        if self.norm_first:
            h = self.norm1(x)
            x = h + self.sa(h, mask)
            h = self.norm2(x)
            return h + self.ff(h)
        return super().forward(x, mask)


@mistake("layer_norm_eps_ignored", "pass layer_norm_eps to both LayerNorms: "
         "nn.LayerNorm(d_model, eps=layer_norm_eps).")
class LayerDefaultEps(_Layer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.norm1.eps = self.norm2.eps = 1e-5


@mistake("attention_output_is_a_tuple", "MultiHeadAttention returns a tuple (out, weights): "
         "take its first element, out, before adding it to x.")
class LayerTuple(_Layer):
    def forward(self, x, mask=None):
        if self.norm_first:
            x = x + self.self_attn(self.norm1(x), self.norm1(x), self.norm1(x), mask)
            return x + self.ff(self.norm2(x))
        x = self.norm1(x + self.self_attn(x, x, x, mask))
        return self.norm2(x + self.ff(x))


LAYER_MISTAKES = (LayerNoResidualAttn, LayerNoResidualFF, LayerAlwaysPost, LayerSwapped, LayerOneNorm,
                  LayerNoMask, LayerMaskInverted, LayerFFOnInput, LayerResidualNormed, LayerDefaultEps,
                  LayerTuple)

REQUIREMENTS = (
    Requirement("self-attention, then the feed-forward network reading the attention sub-layer's "
                "output", ("ff_reads_layer_input",)),
    Requirement("each sub-layer is wrapped in its residual connection",
                ("missing_residual_attention", "missing_residual_ff",
                 "residual_from_normalised_input")),
    Requirement("norm_first chooses pre-norm (True) or post-norm (False)",
                ("norm_first_ignored", "norm_order_swapped")),
    Requirement("norm1 goes with attention and norm2 with the feed-forward network, each its own "
                "LayerNorm", ("same_norm_twice",)),
    Requirement("both LayerNorms use eps=layer_norm_eps", ("layer_norm_eps_ignored",)),
    Requirement("the mask (True = may attend, or None) goes to self-attention unchanged",
                ("mask_ignored", "mask_inverted")),
    Requirement("only the output of MultiHeadAttention's (out, weights) tuple goes on",
                ("attention_output_is_a_tuple",)),
)

ENTRY = Entry(f"{ID}/EncoderLayer", EncoderLayer, LAYER_MISTAKES, points=3,
              requirements=REQUIREMENTS)
